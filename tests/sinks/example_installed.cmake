# Installs the build tree into a fresh prefix, builds examples/sink_plugin_c against it
# with find_package(linlearn), checks the plugin with the installed `linlearn sink-check`,
# then trains with the installed command, which loads the built-in sinks from the
# installed plugin folder and the example plugin by its absolute path.
# Run with -DBUILD_DIR -DSOURCE_DIR -DWORK_DIR -DLIBDIR -DBINDIR.

# run(command...): runs it, fails the test on a non-zero status; output in OUT.
function(run)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=LINLEARN_PLUGIN_PATH ${ARGN}
                  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "failed (${status}): ${ARGN}\n${out}\n${err}")
  endif()
  set(OUT "${out}" PARENT_SCOPE)
endfunction()

function(require_file path)
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "the install lacks ${path}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
run("${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
foreach(header linlearn.h event.h sink.h)
  require_file("${prefix}/include/linlearn/${header}")
endforeach()
foreach(sink json csv stdout)
  require_file("${prefix}/${LIBDIR}/linlearn/plugins/liblinlearn_sink_${sink}.so")
endforeach()

run("${CMAKE_COMMAND}" -S "${SOURCE_DIR}/examples/sink_plugin_c" -B "${WORK_DIR}/build"
    "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_BUILD_TYPE=Release)
run("${CMAKE_COMMAND}" --build "${WORK_DIR}/build")
set(plugin "${WORK_DIR}/build/liblinlearn_sink_markdown.so")

run("${prefix}/${BINDIR}/linlearn" sink-check "${plugin}")
if(NOT OUT MATCHES "\nresult: PASS\n")
  message(FATAL_ERROR "sink-check did not pass:\n${OUT}")
endif()

set(data "${SOURCE_DIR}/data/breast_cancer")
run("${prefix}/${BINDIR}/linlearn" train --train "${data}.train.csv" --validation "${data}.validation.csv"
    --hp predictor_type=binary_classifier --hp epochs=3 -o "${WORK_DIR}/out" --quiet
    --sink "${plugin}:path=${WORK_DIR}/out/report.md,title=Installed example")
file(READ "${WORK_DIR}/out/report.md" report)
foreach(expected "# Installed example" "| epoch | time (s) | train:objective_loss |" "\n| 2 | " "- validation:objective_loss = ")
  string(FIND "${report}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "report.md lacks '${expected}':\n${report}")
  endif()
endforeach()
require_file("${WORK_DIR}/out/events.jsonl")  # the built-in json sink, found beside the installed library
message(STATUS "the example plugin builds against the install, passes sink-check and runs")
