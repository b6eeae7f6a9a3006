# Builds and runs one consumer project (ctest drives this with cmake -P).
#   KIND          find_package | add_subdirectory | vendored | pkg_config
#   SOURCE_DIR    xtensor-torch's source tree
#   WORK_DIR      scratch folder
#   GENERATOR     CMake generator
#   VERSION       MAJOR.MINOR asked of find_package
#   CXX_COMPILER, CXX_STANDARD, PREFIX_PATH   the parent build's, forwarded so that
#                 the consumer builds against the same dependencies with the same compiler
#   CONSUMER_STANDARD   the standard the add_subdirectory consumer asks for
#   TORCH_CFLAGS, TORCH_LIBS   LibTorch's compile and link flags, for the pkg_config consumer
#   TOOLCHAIN_FILE, EMULATOR   a cross build's toolchain file, and the emulator its binaries run under
foreach(var KIND SOURCE_DIR WORK_DIR GENERATOR VERSION CXX_COMPILER CXX_STANDARD CONSUMER_STANDARD)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: ${var} is not set")
  endif()
endforeach()

set(work "${WORK_DIR}/${KIND}")
file(REMOVE_RECURSE "${work}")
set(prefix_path "${PREFIX_PATH}")
string(REPLACE ";" "\\;" parent_prefix_path "${PREFIX_PATH}")
set(toolchain "")
if(TOOLCHAIN_FILE)
  set(toolchain "-DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN_FILE}")
endif()
set(args ${toolchain} -DXTT_SOURCE_DIR=${SOURCE_DIR} -DXTT_CONSUMER_MAIN=${SOURCE_DIR}/tests/consumers/main.cpp
         -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DXTT_CXX_STANDARD=${CXX_STANDARD}"
         "-DXTT_CONSUMER_STANDARD=${CONSUMER_STANDARD}")

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} of the ${KIND} consumer failed")
  endif()
endfunction()

if(KIND STREQUAL "find_package" OR KIND STREQUAL "pkg_config")
  # installed the way a packager does: a plain configure with the tests,
  # examples and benchmarks off, which needs neither GoogleTest nor Google Benchmark
  run("configure of xtensor-torch for the install"
      ${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${work}/library" -G "${GENERATOR}"
      -DXTENSOR_TORCH_BUILD_TESTS=OFF -DXTENSOR_TORCH_BUILD_EXAMPLES=OFF -DXTENSOR_TORCH_BUILD_BENCHMARKS=OFF
      -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON
      "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DCMAKE_PREFIX_PATH=${parent_prefix_path}" ${toolchain})
  run("install" ${CMAKE_COMMAND} --install "${work}/library" --prefix "${work}/prefix")
  list(PREPEND prefix_path "${work}/prefix")
  list(APPEND args "-DXTT_VERSION=${VERSION}")
endif()

if(KIND STREQUAL "pkg_config")
  # make, with the flags pkg-config gives and LibTorch's own
  run("build" ${CMAKE_COMMAND} -E env "PKG_CONFIG_PATH=${work}/prefix/share/pkgconfig"
      make -C "${work}" -f "${SOURCE_DIR}/tests/consumers/pkg_config/Makefile"
      "MAIN=${SOURCE_DIR}/tests/consumers/main.cpp" "CXX=${CXX_COMPILER}" "CXXSTD=-std=c++${CXX_STANDARD}"
      "TORCH_CFLAGS=${TORCH_CFLAGS}" "TORCH_LIBS=${TORCH_LIBS}")
  run("run" ${EMULATOR} "${work}/consumer")
  return()
endif()

if(prefix_path)
  string(REPLACE ";" "\\;" prefix_path "${prefix_path}")
  list(APPEND args "-DCMAKE_PREFIX_PATH=${prefix_path}")
endif()
run("configure" ${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumers/${KIND}" -B "${work}/build" -G "${GENERATOR}" ${args})
run("build" ${CMAKE_COMMAND} --build "${work}/build")
run("run" ${EMULATOR} "${work}/build/consumer")
