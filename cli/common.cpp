#include "common.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

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
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        out.flush();
        if (!out) {
            const std::string why = std::strerror(errno);
            std::remove(tmp.c_str());
            throw CommandError("cannot write '" + path + "': " + why);
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        std::remove(tmp.c_str());
        throw CommandError("cannot write '" + path + "': " + why);
    }
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw CommandError("cannot open '" + path + "': " + std::strerror(errno));
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace linlearn::cli
