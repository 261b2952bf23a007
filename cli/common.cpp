#include "common.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "../plugins/common/atomic_write.hpp"  // the writer of the library and the sinks

namespace linlearn::cli {

void check(int status) {
    if (status != LL_OK) throw CommandError(ll_last_error());
}

Dataset load_dataset(const std::string& path, const std::string& options) {
    ll_dataset* d = nullptr;
    check(ll_dataset_from_file(path.c_str(), options.c_str(), &d));
    return Dataset(d);
}

Model load_model(const std::string& path) {
    ll_model* m = nullptr;
    check(ll_model_load(path.c_str(), &m));
    return Model(m);
}

ll_model_info model_info(const ll_model* m) {
    ll_model_info info{};
    info.struct_size = sizeof info;
    check(ll_model_info_get(m, &info));
    return info;
}

void write_output(const std::string& path, const std::string& text) {
    if (path == "-") {
        std::cout << text << std::flush;
        return;
    }
    if (const auto failed = linlearn::atomic_write::write_file(path, text))
        throw CommandError("cannot write '" + path + "': " + std::strerror(failed->err));
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CommandError("cannot open '" + path + "': " + std::strerror(errno));
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace linlearn::cli
