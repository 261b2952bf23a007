# Included right after project() by the tsan preset (CMAKE_PROJECT_INCLUDE in
# CMakePresets.json): what a ThreadSanitizer build with clang needs beyond its flags.
#
# clang links the TSan runtime statically into executables only (its shared runtime,
# -shared-libsan, crashes at start-up in clang 14): a shared library built with
# -fsanitize=thread leaves the __tsan_* symbols undefined, and the executable that loads
# it provides them. liblinlearn and the sink plugins link with --no-undefined, which
# refuses that; `-z undefs` at the end of the shared-library link line lifts it, for this
# build only (the release, asan and debug builds keep the check).
#
# OpenMP: clang's -fopenmp uses LLVM's libomp (Debian's libomp-dev), whose Archer tool
# (libarcher.so, same package) tells TSan about OpenMP's synchronisation (fork, join,
# barriers, reductions, ...), so parallel regions are checked instead of reported
# wholesale. libomp looks for it by its bare name, which the loader does not find in
# /usr/lib/llvm-N/lib; LINLEARN_TSAN_OMP_TOOL is its full path, which the thread tests
# pass in OMP_TOOL_LIBRARIES (tests/reliability/CMakeLists.txt). GCC's libgomp has no
# such tool: see tests/reliability/README.md.
if(CMAKE_CXX_FLAGS MATCHES "-fsanitize=thread")
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "linlearn: the tsan preset needs clang (apt-get install clang libomp-dev); "
                        "with ${CMAKE_CXX_COMPILER_ID}, libgomp's parallel regions are invisible to TSan")
  endif()
  get_filename_component(_linlearn_clang "${CMAKE_CXX_COMPILER}" REALPATH)  # /usr/lib/llvm-N/bin/clang
  get_filename_component(_linlearn_llvm "${_linlearn_clang}" DIRECTORY)
  find_library(LINLEARN_TSAN_OMP_TOOL NAMES archer HINTS "${_linlearn_llvm}/../lib"
               DOC "LLVM's OpenMP tool for ThreadSanitizer (libarcher.so)")
  if(NOT LINLEARN_TSAN_OMP_TOOL)
    message(FATAL_ERROR "linlearn: the tsan preset needs LLVM's libarcher.so in ${_linlearn_llvm}/../lib "
                        "(apt-get install libomp-dev)")
  endif()
  foreach(_lang C CXX)
    string(APPEND CMAKE_${_lang}_CREATE_SHARED_LIBRARY " -Wl,-z,undefs")
    string(APPEND CMAKE_${_lang}_CREATE_SHARED_MODULE " -Wl,-z,undefs")
  endforeach()
endif()
