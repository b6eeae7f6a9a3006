# Whether object files compile (or call) the permuted-copy kernels, by their
# symbols: fails if an object in CHECKED names one, or if no object in CONTROL
# does (which would mean the pattern no longer finds them).
#
#   cmake -DNM=<nm> -DCHECKED=<a.o|b.o> -DCONTROL=<c.o|d.o> -P kernel_symbols.cmake
#
# SPDX-License-Identifier: BSD-3-Clause
set(kernel_pattern "transposed_copy|transpose_rows|interleave_rows")

function(kernel_symbols objects out)
  string(REPLACE "|" ";" objects "${objects}")
  set(listing "${CMAKE_CURRENT_BINARY_DIR}/kernel_symbols.txt")
  execute_process(COMMAND "${NM}" -C ${objects} OUTPUT_FILE "${listing}" ERROR_VARIABLE errors RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} failed (${rc}): ${errors}")
  endif()
  file(STRINGS "${listing}" found REGEX "${kernel_pattern}")
  file(REMOVE "${listing}")
  set(${out} "${found}" PARENT_SCOPE)
endfunction()

kernel_symbols("${CONTROL}" control)
if(NOT control)
  message(FATAL_ERROR "no symbol matches '${kernel_pattern}' in ${CONTROL}: the kernels were renamed; update the pattern")
endif()
kernel_symbols("${CHECKED}" checked)
if(checked)
  string(REPLACE ";" "\n  " checked "${checked}")
  message(FATAL_ERROR "conversions without a policy compiled or called a permuted-copy kernel:\n  ${checked}")
endif()
list(LENGTH control n)
message(STATUS "no kernel symbol in ${CHECKED}; ${n} in the control objects")
