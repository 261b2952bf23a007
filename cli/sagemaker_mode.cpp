#include "sagemaker_mode.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common.hpp"

namespace linlearn::cli {

namespace {

namespace fs = std::filesystem;
const char* const kChannels[] = {"train", "validation", "test"};

// linlearn's data option for a channel's ContentType ("text/csv; label_size=1" -> csv).
// SageMaker's default for Linear Learner's text input is CSV, label first, no header.
std::string format_for(const std::string& channel, const std::string& content_type) {
    std::string media = content_type.substr(0, content_type.find(';'));
    media.erase(std::remove_if(media.begin(), media.end(), [](unsigned char c) { return std::isspace(c); }),
                media.end());
    std::transform(media.begin(), media.end(), media.begin(), [](unsigned char c) { return std::tolower(c); });
    if (media.empty() || media == "text/csv") return "csv";
    if (media == "text/libsvm" || media == "text/x-libsvm") return "libsvm";
    throw CommandError("channel '" + channel + "': ContentType '" + content_type +
                       "' is not supported; use text/csv (label first, no header) or text/libsvm");
}

// The data format from inputdataconfig.json, checking what linlearn cannot read.
std::string read_data_format(const fs::path& config) {
    std::error_code ec;
    if (!fs::exists(config, ec)) return "csv";  // local runs may leave it out
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(read_text(config.string()));
    } catch (const nlohmann::json::exception& e) {
        throw CommandError(config.string() + ": not valid JSON (" + e.what() + ")");
    }
    std::string format;
    for (const auto& [channel, c] : j.items()) {
        if (std::find(std::begin(kChannels), std::end(kChannels), channel) == std::end(kChannels)) {
            std::cerr << "linlearn: warning: ignoring channel '" << channel
                      << "' (linlearn reads train, validation and test)\n";
            continue;
        }
        if (c.value("TrainingInputMode", "File") == "Pipe")
            throw CommandError("channel '" + channel + "': Pipe mode is not supported; use File or FastFile mode");
        const std::string f = format_for(channel, c.value("ContentType", ""));
        if (!format.empty() && f != format)
            throw CommandError("the channels have different content types; linlearn reads one format per job");
        format = f;
    }
    return format.empty() ? "csv" : format;
}

// Appends `from` to `out`, ending with a line break so that rows of two files never join.
// Returns the number of lines appended.
long append_file(std::ofstream& out, const fs::path& from) {
    std::ifstream in(from, std::ios::binary);
    if (!in) throw CommandError("cannot open '" + from.string() + "'");
    char last = '\n';
    long lines = 0;
    char buf[1 << 16];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        out.write(buf, in.gcount());
        lines += std::count(buf, buf + in.gcount(), '\n');
        last = buf[in.gcount() - 1];
    }
    if (last != '\n') {
        out.put('\n');
        ++lines;
    }
    return lines;
}

}  // namespace

SageMakerJob::SageMakerJob(const std::string& root) {
    std::error_code ec;
    const fs::path r(root);
    if (!fs::is_directory(r, ec)) throw CommandError("the SageMaker root '" + root + "' is not a folder");
    const fs::path hp = r / "input" / "config" / "hyperparameters.json";
    if (!fs::exists(hp, ec)) throw CommandError(hp.string() + " is missing (SageMaker writes it for every job)");
    // A failure file left by an earlier run in this root would be read as this job's.
    fs::remove(r / "output" / "failure", ec);
    hyperparameters = read_text(hp.string());
    data_options = "format=" + read_data_format(r / "input" / "config" / "inputdataconfig.json");
    train = channel_file(root, "train");
    if (train.empty())
        throw CommandError("the train channel is missing: no files in " + (r / "input" / "data" / "train").string());
    validation = channel_file(root, "validation");
    test = channel_file(root, "test");
    model_path = (r / "model" / "model.llmodel").string();
    output_dir = (r / "output" / "data").string();
    fs::create_directories(r / "model", ec);
    if (ec) throw CommandError("cannot create '" + (r / "model").string() + "': " + ec.message());
}

SageMakerJob::~SageMakerJob() {
    for (const Temporary& t : temporaries_) std::remove(t.path.c_str());
}

std::string SageMakerJob::explain(const std::string& message) const {
    for (const Temporary& t : temporaries_)
        if (message.find(t.path) != std::string::npos)
            return message + " (" + t.path + " is the " + t.channel + " channel's files joined; lines " + t.lines + ")";
    return message;
}

// The channel's files (regular, not hidden, in any subfolder, in name order): the one
// file itself, or all of them concatenated into a temporary file, since the C ABI reads
// one file per dataset. The copy goes to $TMPDIR (default /tmp); set TMPDIR to a volume
// with room for the channel.
std::string SageMakerJob::channel_file(const std::string& root, const std::string& channel) {
    const fs::path dir = fs::path(root) / "input" / "data" / channel;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return "";
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
        if (it->is_regular_file() && it->path().filename().string().front() != '.') files.push_back(it->path());
    if (ec) throw CommandError("cannot list '" + dir.string() + "': " + ec.message());
    if (files.empty()) {
        if (channel == "train") return "";
        throw CommandError("the " + channel + " channel has no files in " + dir.string());
    }
    if (files.size() == 1) return files.front().string();
    std::sort(files.begin(), files.end());
    const fs::path tmp = fs::temp_directory_path(ec);
    if (ec) throw CommandError("no folder for temporary files: " + ec.message() + " (set TMPDIR)");
    std::string path = (tmp / ("linlearn-" + channel + "-XXXXXX")).string();
    const int fd = ::mkstemp(path.data());
    if (fd < 0) throw CommandError("cannot create a temporary file in " + tmp.string() + " (set TMPDIR)");
    ::close(fd);
    temporaries_.push_back({path, channel, ""});
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    long line = 1;
    for (const fs::path& f : files) {
        const long n = append_file(out, f);
        if (n == 0) continue;
        std::string& lines = temporaries_.back().lines;
        lines += (lines.empty() ? "" : ", ") + std::to_string(line) + "-" + std::to_string(line + n - 1) + " from " +
                 fs::relative(f, dir).string();
        line += n;
    }
    out.flush();
    if (!out) throw CommandError("cannot write '" + path + "' (is " + tmp.string() + " full?)");
    return path;
}

void write_sagemaker_failure(const std::string& root, const std::string& reason) {
    try {
        const fs::path dir = fs::path(root) / "output";
        fs::create_directories(dir);
        write_output((dir / "failure").string(), reason + "\n");
    } catch (const std::exception& e) {
        std::cerr << "linlearn: cannot write the SageMaker failure file: " << e.what() << "\n";
    }
}

}  // namespace linlearn::cli
