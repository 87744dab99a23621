// ObjectStore: the content-addressed store of artifacts in a workspace.
//
// A file is stored once as a read-only blob named by the SHA-256 of its bytes.
// A folder is stored as its files (each a blob) plus a canonical manifest
// (manifest.h); the folder's ref is the manifest's digest. Refs are
// "sha256:<64 hex>" for both; a ref names a folder when a manifest with that
// digest exists (a file whose bytes happen to equal a manifest resolves as the
// folder).
//
// Crash safety: every object reaches its final path by rename or link of a
// fully written, fsynced file, followed by fsync of the directory; a folder's
// manifest is written only after all its blobs, so a visible manifest always
// means a complete folder. A crash leaves at worst temp files in tmp/, removed
// by CleanTemp (run at Open) once their writer process is dead.
//
// Concurrency: several processes (and threads) may Put the same or different
// content at once; all succeed (rename over an identical object and link
// EEXIST are treated as success). Remove is meant for the garbage collector,
// which must hold the workspace gc lock (the caller's job).
// Thread-safety: all methods are thread-safe (no mutable state besides disk).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/status.h"
#include "mlpipe/store/file_system.h"
#include "mlpipe/store/layout.h"
#include "mlpipe/store/manifest.h"
#include "mlpipe/store/remote_tier.h"

namespace mlpipe::store {

// How Put takes a file the caller no longer needs to write.
enum class PutMode {
  // Never touches the source; copies its bytes into the store, hashing them
  // as they are copied (one read).
  kCopy,
  // Hardlinks the source into the store when on the same filesystem (the
  // source then shares the read-only blob inode: its mode becomes 0444 and it
  // must never be written again); falls back to a copy.
  kLink,
  // Renames the source into the store when possible (the source path is gone
  // afterwards); falls back to link, then copy. After kMove the caller must
  // treat the source as consumed (it may or may not still exist).
  kMove,
  // Clones the source (a reflink: copy-on-write, O(1) in its size) where the
  // filesystem can (btrfs, XFS, bcachefs); a copy elsewhere. The source is
  // never touched and later writes to it never reach the store.
  kReflink,
};

// The modification time of every object the store owns (2000-01-01 00:00:00
// UTC). Any write to an object moves its mtime, so Check finds a changed
// object with one stat and re-hashes it instead of trusting it. Hardlinked
// sources (PutMode::kLink) keep their own mtime: it is the user's file.
inline constexpr int64_t kObjectStampNs = int64_t{946'684'800} * 1'000'000'000;

struct PutOptions {
  PutMode mode = PutMode::kCopy;
  // Asked, for each file, with its stat before it is read: the digest the
  // caller already knows for it (a source whose hash cache entry matches), or
  // nullopt. A known digest whose object is stored and intact costs no read.
  std::function<std::optional<std::string>(const std::string& path, const FileStat& st)> known_digest;
  // Told each file's digest once the store has read it (hashed while it was
  // copied or before it was linked), with the stat it had before: a caller's
  // hash cache learns it without a second read.
  std::function<void(const std::string& path, const FileStat& st, const std::string& ref)> on_hashed;
  // Re-hash an already stored object of the same digest before trusting it,
  // even when its stamp says it is unchanged (a --no-cache run): a damaged
  // copy is quarantined and replaced.
  bool rehash_existing = false;
};

// What Check found.
enum class Integrity {
  kIntact,   // present, and unchanged since stored (or re-hashed to its name)
  kAbsent,   // not in the store (never stored, removed, or quarantined earlier)
  kDamaged,  // present but its content no longer hashes to its name: now quarantined
};

struct CheckResult {
  Integrity integrity = Integrity::kAbsent;
  std::string detail;  // for people: "file model.ubj (sha256:...) hashes to sha256:..."
  bool ok() const { return integrity == Integrity::kIntact; }
};

// An object Check, Put or Quarantine moved out of the store because its
// content no longer matched its name (quarantine/<hex>.<ns> and its note).
struct QuarantineNote {
  std::string ref;
  std::string detail;
  int64_t quarantined_ns = 0;
};

struct StoredObject {
  std::string ref;    // "sha256:<hex>"; for a folder, its manifest's digest
  uint64_t size = 0;  // total bytes of file content
  bool is_dir = false;
  uint64_t file_count = 0;   // 1 for a file
  uint64_t new_objects = 0;  // blobs and manifests this call added; 0 = all deduplicated
};

struct ObjectInfo {
  std::string ref;
  uint64_t size = 0;  // blob: its bytes; folder: total bytes of its files
  bool is_dir = false;
};

enum class ProblemKind {
  kDamaged,     // content does not hash to its name, or a manifest does not parse
  kMissing,     // a folder lists a blob that is not in the store
  kUnreadable,  // I/O error reading the object
};

struct VerifyProblem {
  std::string ref;   // the damaged object, or the folder with a missing blob
  std::string path;  // the file on disk concerned
  ProblemKind kind = ProblemKind::kDamaged;
  std::string detail;  // for people: "content hashes to sha256:..."
};

struct VerifyReport {
  uint64_t blobs_checked = 0;
  uint64_t folders_checked = 0;
  uint64_t bytes_checked = 0;
  std::vector<VerifyProblem> problems;
  bool ok() const { return problems.empty(); }
};

struct ObjectStoreOptions {
  // Where side effects go. Default (null): PosixFileSystem(). Not owned; must
  // outlive the store.
  FileSystem* fs = nullptr;
  // Remove leftovers of dead writers from tmp/ at Open. Default: true.
  bool clean_temp_on_open = true;
  // Whether a process id on this host is alive; default: kill(pid, 0).
  std::function<bool(int64_t pid)> process_alive = {};
  // Dates quarantine notes. Default (null): RealClock(). Not owned.
  Clock* clock = nullptr;
};

class ObjectStore {
 public:
  // Opens the store of `ws` (creating its folders). Fails if they cannot be
  // created. The workspace is copied.
  static StatusOr<std::unique_ptr<ObjectStore>> Open(const Workspace& ws, ObjectStoreOptions options = {});

  // Ingests the file or folder at `path` (see PutMode). The content must not
  // change during the call. Returns the stored object; on error nothing
  // partial is visible at a final path (temp files are removed when possible).
  // InvalidArgument for symlinks/special files, NotFound if `path` is missing,
  // ResourceExhausted when the disk is full.
  StatusOr<StoredObject> Put(const std::string& path, PutMode mode);
  // The same with options (known digests, hash callbacks, re-hashing). An
  // existing object of the same digest is checked first (size, stamp; see
  // Check): a damaged one is quarantined and replaced by the new content.
  StatusOr<StoredObject> Put(const std::string& path, const PutOptions& options);

  // True if the object is fully present: the blob, or for a folder its
  // manifest and every blob it lists. Does not re-hash (see Verify, Check).
  bool Contains(std::string_view ref);

  // Whether the object can be trusted, at the cost of a stat per file: a blob
  // whose size or stamp (kObjectStampNs) moved, or `rehash` set, is re-hashed;
  // one that no longer hashes to its name is quarantined (moved out of the
  // store, with a note) and reported kDamaged. A folder is intact when its
  // manifest and every blob it lists are (a blob's size must match the
  // manifest's). This is what a cache hit, a no-op rerun and a Put of
  // existing content rely on, so a damaged object is never reused unseen.
  CheckResult Check(std::string_view ref, bool rehash = false);

  // Moves a damaged object out of the store: its file goes to
  // quarantine/<hex>.<ns> with a note (QuarantineNote) beside it, and every
  // materialised tree holding the blob is removed. OK if it is already gone.
  Status Quarantine(std::string_view ref, const std::string& detail);
  // The newest quarantine note of `ref`, nullopt if it was never quarantined.
  std::optional<QuarantineNote> QuarantinedAs(std::string_view ref);

  // A read-only path to read the content from: the blob for a file; for a
  // folder `trees/<hex>/`, built from hardlinks to the blobs (executable files
  // are read-only copies with mode 0555) in tmp/ and renamed into place, so a
  // tree is either complete or absent. NotFound if the object (or one of a
  // folder's blobs) is missing.
  StatusOr<std::string> Materialize(std::string_view ref);

  // Writes a writable copy of the object at `dest` (a file: mode 0644; a
  // folder: its files with 0644 or 0755, its empty folders), replacing what
  // is there whole: the copy is made beside `dest` and renamed over it (a
  // folder: the old one is moved aside first and removed after), so a crash
  // leaves the old content or the new, never a mix. Copies are reflinks where
  // the filesystem can. NotFound if the object (or a blob of it) is missing.
  Status CopyOut(std::string_view ref, const std::string& dest);

  // The manifest of a folder ref. NotFound if there is none.
  StatusOr<Manifest> ReadManifest(std::string_view folder_ref);
  // True if `ref` names a stored folder (its manifest exists).
  bool IsFolder(std::string_view ref);

  // Re-hashes every blob and manifest and checks every folder's blobs exist.
  StatusOr<VerifyReport> Verify();
  // The same for one object (a folder: its manifest and its blobs).
  // NotFound if the object is not in the store at all.
  StatusOr<VerifyReport> Verify(std::string_view ref);

  // For gc. Every blob and folder in the store.
  StatusOr<std::vector<ObjectInfo>> ListObjects();
  // For gc: the blob refs a folder's manifest lists (deduplicated, sorted).
  StatusOr<std::vector<std::string>> ReferencedBlobs(std::string_view folder_ref);
  // For gc. A blob ref: removes the blob. A folder ref: removes its manifest
  // and its materialised tree, but NOT its blobs (the caller removes the blobs
  // no other folder or artifact still needs). NotFound if absent.
  Status Remove(std::string_view ref);

  // Stores a folder from its manifest text alone, once every blob it lists
  // is in the store and intact (a folder fetched from elsewhere: its blobs
  // first, then this, so a visible manifest still means a complete folder).
  // DataLoss if `text` is not a canonical manifest; NotFound (naming the
  // blob) if a blob is absent or damaged.
  StatusOr<StoredObject> PutManifest(const std::string& text);

  // The start of a temp file name in workspace().TmpDir() that CleanTemp
  // removes once this process is dead ("<kind>.<host>.<pid>.").
  std::string TempPrefix(std::string_view kind) const;

  // Removes temp files and folders in tmp/ whose writer process is dead
  // (names carry the writer's pid). Safe while other processes are writing.
  Status CleanTemp();

  const Workspace& workspace() const { return ws_; }

  // Makes this store the cache of a shared one (remote_tier.h): Put sends
  // what it stores there, and an object this store lacks is fetched from it
  // when asked for. Not owned; set before the store is used from several
  // threads, and must outlive it. Null: a store of its own (the default).
  void SetRemote(RemoteTier* remote) { remote_ = remote; }
  RemoteTier* remote() const { return remote_; }

 private:
  ObjectStore(Workspace ws, ObjectStoreOptions options);

  StatusOr<StoredObject> PutFile(const std::string& path, const FileStat& st, const PutOptions& options);
  StatusOr<StoredObject> PutFolder(const std::string& path, const PutOptions& options);
  // Copies `src` into tmp/ while hashing, then renames into place (over a
  // damaged object of the same name).
  StatusOr<StoredObject> CopyIn(const std::string& src, const FileStat& st, const PutOptions& options);
  // Clones `src` into tmp/, hashes the clone unless `known` says its digest,
  // then renames into place. nullopt when the filesystem cannot clone.
  StatusOr<std::optional<StoredObject>> CloneIn(const std::string& src, const FileStat& st,
                                                const std::optional<std::string>& known,
                                                const PutOptions& options);
  // Links or renames `src` (already hashed to `hex`) into place.
  Status LinkOrMoveIn(const std::string& src, const std::string& hex, uint32_t mode, PutMode put_mode);
  // Makes a fully written, closed temp file an object: read-only, stamped,
  // renamed to the blob path of `hex` (replacing what is there), durable.
  Status PublishTemp(const std::string& tmp_path, const std::string& hex);
  // Whether the blob `hex` is stored and intact for content of `size` bytes
  // (quarantining it if damaged). The file-level half of Check.
  CheckResult CheckBlob(const std::string& hex, std::optional<uint64_t> size, bool rehash);
  // Removes every materialised tree whose folder lists the blob `hex`.
  Status RemoveTreesHolding(const std::string& hex);
  // Makes sure the shard directory of `final_path` exists (durably).
  Status EnsureParent(const std::string& final_path);
  Status WriteManifest(const std::string& text, const std::string& hex, bool* created);
  Status BuildTree(const Manifest& m, const std::string& hex);
  Status CopyBlobTo(const std::string& blob, const std::string& dest, uint32_t mode);
  // Writes the folder of manifest `m` into the new directory `dir`.
  Status WriteFolderCopy(const Manifest& m, const std::string& dir);
  void VerifyBlob(const std::string& hex, const std::string& path, VerifyReport& report);
  void VerifyFolder(const std::string& hex, VerifyReport& report);
  // Asks the shared store for `ref` when there is one (and this thread is
  // not already inside a call of it: a tier's Fetch uses this store's Put
  // and Check). NotFound when there is none or it lacks the object too.
  Status FetchFromRemote(std::string_view ref);
  // Sends a stored object to the shared store, if any.
  Status PushToRemote(std::string_view ref);
  // Contains, Check and Materialize of this store alone.
  bool ContainsHere(std::string_view ref);
  CheckResult CheckHere(std::string_view ref, bool rehash);
  StatusOr<std::string> MaterializeHere(std::string_view ref);

  Workspace ws_;
  ObjectStoreOptions options_;
  FileSystem& fs_;
  Clock& clock_;
  RemoteTier* remote_ = nullptr;
};

}  // namespace mlpipe::store
