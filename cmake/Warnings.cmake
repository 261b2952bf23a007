# linlearn_warnings(target): the project's warning set, applied to our own code only.
# -Wshadow=local is GCC's; clang's nearest is -Wshadow-uncaptured-local (the tsan preset
# builds with clang).
function(linlearn_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wshadow=local)
  elseif(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -Wshadow-uncaptured-local)
  endif()
  if(LINLEARN_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
option(LINLEARN_WERROR "Treat warnings as errors" OFF)
