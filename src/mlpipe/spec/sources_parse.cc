// Reading the pipeline's sources: block: whether the files and folders its
// steps read from the project are stored as versioned artifacts, how (link
// mode), and up to which size.
#include <fmt/format.h>

#include "mlpipe/spec/load_state.h"
#include "mlpipe/spec/units.h"

namespace mlpipe::spec::internal {
namespace {

const std::vector<std::string> kSourcesKeys = {"store", "link", "max_size"};
const std::vector<std::string> kLinkNames = {"auto", "reflink", "hardlink", "copy"};

}  // namespace

void ParseSources(const MapEntry& entry, LoadState& st, PipelineSpec* spec) {
  SourcesSpec& sources = spec->sources;
  sources.loc = st.diags.Loc(entry.key_loc);
  if (!entry.value->IsMap()) {
    st.diags.Error(entry.loc, fmt::format("sources: must be a map, got {}", NodeKindName(*entry.value)),
                   "write sources: {store: true, link: auto, max_size: 10GiB}");
    return;
  }
  for (const MapEntry& e : MapEntries(*entry.value, st.diags, &kSourcesKeys, "sources:")) {
    if (e.name == "store") {
      if (auto b = GetBool(e, st.diags, "store of sources:")) sources.store = *b;
    } else if (e.name == "link") {
      auto text = GetText(e, st.diags, "link of sources:");
      if (!text) continue;
      bool known = false;
      for (auto link : {SourceLink::kAuto, SourceLink::kReflink, SourceLink::kHardlink, SourceLink::kCopy}) {
        if (*text == SourceLinkName(link)) {
          sources.link = link;
          known = true;
        }
      }
      if (!known) {
        st.diags.Error(e.loc, fmt::format("unknown link '{}' in sources:", *text),
                       DidYouMean(*text, kLinkNames, "use auto, reflink, hardlink or copy"));
      }
    } else {
      auto text = GetText(e, st.diags, "max_size of sources:");
      if (!text) continue;
      auto bytes = ParseSize(*text);
      if (!bytes.ok()) {
        st.diags.Error(e.loc, fmt::format("max_size of sources: {}", bytes.status().message()),
                       "write a size like 512MiB, 10GiB, 2G (= 2*10^9) or a number of bytes");
      } else {
        sources.max_size = *bytes;
      }
    }
  }
}

}  // namespace mlpipe::spec::internal
