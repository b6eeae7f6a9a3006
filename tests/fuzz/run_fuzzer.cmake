# Runs the fuzzer for SECONDS on a copy of the seed corpus (SEEDS) in CORPUS,
# and prints how many inputs it ran. Fails when the fuzzer finds anything.
file(MAKE_DIRECTORY "${CORPUS}")
execute_process(
  COMMAND "${FUZZER}" "-max_total_time=${SECONDS}" -timeout=30 -rss_limit_mb=6000 -print_final_stats=1
          "${CORPUS}" "${SEEDS}"
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
string(REGEX MATCH "stat::number_of_executed_units: *[0-9]+" runs "${output}")
string(REGEX MATCH "[^\n]*(ERROR|fuzz:|Assertion|deadly)[^\n]*" first_error "${output}")
if(NOT result EQUAL 0)
  string(LENGTH "${output}" length)
  if(length GREATER 20000)
    math(EXPR start "${length} - 20000")
    string(SUBSTRING "${output}" ${start} 20000 output)
  endif()
  message(FATAL_ERROR "the fuzzer found a failure (exit ${result}): ${first_error}\n${output}")
endif()
message(STATUS "fuzzed for ${SECONDS} s: ${runs}")
