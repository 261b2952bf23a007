// linlearn report: learning curves of one or more runs in one self-contained HTML file.
#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "html_report.hpp"
#include "run_dir.hpp"

namespace linlearn::cli {

namespace {

struct ReportArgs {
    std::vector<std::string> dirs;
    std::string html, title;
};

int run_report(const ReportArgs& a) {
    std::vector<RunDir> runs;
    for (const std::string& d : a.dirs) runs.push_back(read_run_dir(d, true));
    const std::string title =
        !a.title.empty() ? a.title
                         : "linlearn report: " + (runs.size() == 1 ? runs.front().run_id
                                                                   : std::to_string(runs.size()) + " runs");
    // Through a temporary file and a rename: a browser open on the old report never
    // sees half a page.
    write_output(a.html, html_report(runs, title));
    if (a.html != "-") std::cout << "report: " << a.html << "\n";
    return 0;
}

}  // namespace

Action add_report(CLI::App& app) {
    auto a = std::make_shared<ReportArgs>();
    app.add_option("runs", a->dirs, "run folders written by linlearn train -o")->required();
    app.add_option("--html", a->html, "the HTML file to write (- for standard output)")->required();
    app.add_option("--title", a->title, "the page's title (default: the run id or the number of runs)");
    app.footer("Example:\n  linlearn report runs/a runs/b --html report.html");
    return [a] { return run_report(*a); };
}

}  // namespace linlearn::cli
