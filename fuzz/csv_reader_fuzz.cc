// Fuzz target: the CSV reader, serial and chunked. The chunked reader cuts
// the text at guessed record starts and re-parses chunks whose guess was
// wrong; both must agree on every input (the same table or the same error).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/csv_parser.h"

namespace {

// The cells of a table as text, to compare two reads.
std::string Dump(const mlpipe::data::Table& t) {
  std::string out;
  for (const auto& c : t.columns()) {
    out += c.name();
    out += ':';
    out += std::to_string(static_cast<int>(c.type()));
    out += '\n';
  }
  out += mlpipe::data::WriteCsvString(t);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  mlpipe::data::CsvOptions serial;
  serial.threads = 1;
  auto a = mlpipe::data::ReadCsvString(text, serial, "fuzz.csv");
  mlpipe::data::CsvOptions parallel;
  parallel.threads = 2;
  auto b = mlpipe::data::csv_internal::ReadCsvChunked(text, parallel, "fuzz.csv", /*min_chunk_bytes=*/32);
  if (a.ok() != b.ok()) std::abort();  // chunking changed the verdict
  if (a.ok()) {
    const std::string da = Dump(*a), db = Dump(*b);
    if (da != db) {  // chunking changed the table
      std::fprintf(stderr, "serial read:\n%s\nchunked read:\n%s\n", da.c_str(), db.c_str());
      std::abort();
    }
    mlpipe::data::WriteCsvString(*a);
  } else if (a.status().message() != b.status().message()) {  // chunking changed the first error
    std::fprintf(stderr, "serial read: %s\nchunked read: %s\n", a.status().ToString().c_str(),
                 b.status().ToString().c_str());
    std::abort();
  }
  return 0;
}
