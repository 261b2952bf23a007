# linlearn_warnings(target): the project's warning set, applied to our own code only.
function(linlearn_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow=local -Wno-unused-parameter)
  if(LINLEARN_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
option(LINLEARN_WERROR "Treat warnings as errors" OFF)
