# Every dependency comes from Debian's packages; a missing one names its package.
function(linlearn_require found package what)
  if(NOT ${found})
    message(FATAL_ERROR "linlearn needs ${what}: install the Debian package '${package}' "
                        "(apt-get install ${package})")
  endif()
endfunction()

find_package(Eigen3 3.3 QUIET NO_MODULE)
linlearn_require(Eigen3_FOUND libeigen3-dev "Eigen 3")

find_path(LINLEARN_BOOST_DLL_INCLUDE boost/dll/shared_library.hpp)
linlearn_require(LINLEARN_BOOST_DLL_INCLUDE libboost-dev "Boost.DLL (header-only)")
add_library(linlearn_boost_dll INTERFACE)
target_include_directories(linlearn_boost_dll SYSTEM INTERFACE "${LINLEARN_BOOST_DLL_INCLUDE}")
# Header-only Boost.DLL on std::filesystem: no Boost library to link. Must be the
# same in every translation unit (ODR), hence a target definition, never a header.
target_compile_definitions(linlearn_boost_dll INTERFACE BOOST_DLL_USE_STD_FS)

find_package(nlohmann_json 3 QUIET)
linlearn_require(nlohmann_json_FOUND nlohmann-json3-dev "nlohmann/json")

find_package(CLI11 QUIET)
linlearn_require(CLI11_FOUND libcli11-dev "CLI11")

find_package(FastFloat QUIET)
if(NOT FastFloat_FOUND)
  find_path(LINLEARN_FAST_FLOAT_INCLUDE fast_float/fast_float.h)
  linlearn_require(LINLEARN_FAST_FLOAT_INCLUDE libfast-float-dev "fast_float")
  add_library(FastFloat::fast_float INTERFACE IMPORTED)
  target_include_directories(FastFloat::fast_float INTERFACE "${LINLEARN_FAST_FLOAT_INCLUDE}")
endif()

find_package(OpenMP QUIET COMPONENTS CXX)
linlearn_require(OpenMP_CXX_FOUND "g++ (GCC's OpenMP) or libomp-dev" "OpenMP")

find_package(Threads REQUIRED)

if(LINLEARN_BUILD_TESTS)
  find_package(doctest QUIET)
  linlearn_require(doctest_FOUND doctest-dev "doctest")
endif()
