// The stand-in for ui_assets_data.cc when the UI was not built (no node or
// npm at build time, or -DMLPIPE_WEB_UI=OFF): no assets, and `/` says how to
// build them (ui_routes.cc).
#include "mlpipe/server/ui_assets.h"

namespace mlpipe::server {

std::span<const UiAsset> UiAssets() { return {}; }

}  // namespace mlpipe::server
