// The console's scripts: Chart.js from Debian's libjs-chart.js (read from
// disk once, never fetched from a CDN) and the small script that draws the
// charts from the data each page embeds.
#pragma once

#include <string>

#include "web/request.hpp"

namespace pushback::web {

// GET /static/chart.js and /static/console.js; 404 for anything else.
Response static_file(const std::string& path);

}  // namespace pushback::web
