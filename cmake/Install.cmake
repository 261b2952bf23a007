# What `cmake --install` puts where (prefix = CMAKE_INSTALL_PREFIX or --prefix):
#
#   include/linlearn/{linlearn,event,sink}.h     the C ABI and the plugin ABI
#   <libdir>/liblinlearn.so.<version>, .so.1, .so  the library, its SONAME link, the dev link
#   <libdir>/linlearn/plugins/*.so               the built-in sinks (plugins/CMakeLists.txt)
#   bin/linlearn                                 the command (cli/CMakeLists.txt)
#   <libdir>/cmake/linlearn/                     find_package(linlearn): linlearn::linlearn,
#                                                linlearn::sink_api, linlearn_PLUGIN_DIR
#   <libdir>/pkgconfig/linlearn.pc               pkg-config --cflags --libs linlearn
#
# The static core, Eigen and the other dependencies are private to liblinlearn.so and
# are neither installed nor named by the package: users need only the C headers.
include(CMakePackageConfigHelpers)

set(LINLEARN_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/linlearn" CACHE STRING
    "Where the CMake package files are installed, relative to the prefix")
set(LINLEARN_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig" CACHE STRING
    "Where linlearn.pc is installed, relative to the prefix")

# The library with its SONAME symlinks, its PUBLIC_HEADER files, and the header-only
# plugin API. install(TARGETS) resolves relative PUBLIC_HEADER paths against the folder
# that calls it (this one), not the target's: make them absolute first.
get_target_property(_linlearn_source_dir linlearn SOURCE_DIR)
get_target_property(_linlearn_public_headers linlearn PUBLIC_HEADER)
set(_linlearn_headers)
foreach(_h IN LISTS _linlearn_public_headers)
  cmake_path(ABSOLUTE_PATH _h BASE_DIRECTORY "${_linlearn_source_dir}")
  list(APPEND _linlearn_headers "${_h}")
endforeach()
set_target_properties(linlearn PROPERTIES PUBLIC_HEADER "${_linlearn_headers}")
unset(_h)
unset(_linlearn_headers)
unset(_linlearn_public_headers)
unset(_linlearn_source_dir)
install(TARGETS linlearn linlearn_sink_api EXPORT linlearnTargets
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
  PUBLIC_HEADER DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/linlearn")
# (The include folder of the exported targets is their $<INSTALL_INTERFACE:...>.)

# The CMake package. Every path in it is relative to the package folder, so an
# installed tree can be moved (or installed with --prefix, or staged with DESTDIR).
install(EXPORT linlearnTargets
  NAMESPACE linlearn::
  FILE linlearnTargets.cmake
  DESTINATION "${LINLEARN_INSTALL_CMAKEDIR}")
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/linlearnConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/cmake/linlearnConfig.cmake"
  INSTALL_DESTINATION "${LINLEARN_INSTALL_CMAKEDIR}"
  PATH_VARS LINLEARN_PLUGIN_SUBDIR CMAKE_INSTALL_INCLUDEDIR)
# 0.x and 1.x are different ABIs: find_package(linlearn 0.1) accepts 0.1 .. 0.x only.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/cmake/linlearnConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/cmake/linlearnConfig.cmake"
  "${PROJECT_BINARY_DIR}/cmake/linlearnConfigVersion.cmake"
  DESTINATION "${LINLEARN_INSTALL_CMAKEDIR}")

# pkg-config. With relative install dirs (the usual case) the prefix is derived from
# the .pc file's own location (${pcfiledir}), so that the file stays right wherever the
# tree is installed (--prefix at install time, DESTDIR, or a moved tree).
function(_linlearn_pc_path out path)
  if(IS_ABSOLUTE "${path}")
    set(${out} "${path}" PARENT_SCOPE)
  else()
    set(${out} "\${prefix}/${path}" PARENT_SCOPE)
  endif()
endfunction()
_linlearn_pc_path(LINLEARN_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
_linlearn_pc_path(LINLEARN_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
_linlearn_pc_path(LINLEARN_PC_PLUGINDIR "${LINLEARN_PLUGIN_SUBDIR}")
if(IS_ABSOLUTE "${LINLEARN_INSTALL_PKGCONFIGDIR}")
  set(LINLEARN_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  # "../.." for lib/pkgconfig, "../../.." for lib/x86_64-linux-gnu/pkgconfig.
  file(RELATIVE_PATH _up "/prefix/${LINLEARN_INSTALL_PKGCONFIGDIR}" "/prefix")
  string(REGEX REPLACE "/$" "" _up "${_up}")
  set(LINLEARN_PC_PREFIX "\${pcfiledir}/${_up}")
  unset(_up)
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/linlearn.pc.in" "${PROJECT_BINARY_DIR}/linlearn.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/linlearn.pc" DESTINATION "${LINLEARN_INSTALL_PKGCONFIGDIR}")
