# Builds and runs one consumer project (ctest drives this with cmake -P).
#   KIND          find_package | add_subdirectory | vendored
#   SOURCE_DIR    xtensor-torch's source tree
#   BUILD_DIR     the build tree of xtensor-torch (for the install of find_package)
#   WORK_DIR      scratch folder
#   GENERATOR     CMake generator
#   VERSION       MAJOR.MINOR asked of find_package
#   CXX_COMPILER, CXX_STANDARD, PREFIX_PATH   the parent build's, forwarded so that
#                 the consumer builds against the same dependencies with the same compiler
#   CONSUMER_STANDARD   the standard the add_subdirectory consumer asks for
foreach(var KIND SOURCE_DIR BUILD_DIR WORK_DIR GENERATOR VERSION CXX_COMPILER CXX_STANDARD CONSUMER_STANDARD)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: ${var} is not set")
  endif()
endforeach()

set(work "${WORK_DIR}/${KIND}")
file(REMOVE_RECURSE "${work}")
set(prefix_path "${PREFIX_PATH}")
set(args -DXTT_SOURCE_DIR=${SOURCE_DIR} -DXTT_CONSUMER_MAIN=${SOURCE_DIR}/tests/consumers/main.cpp
         -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DXTT_CXX_STANDARD=${CXX_STANDARD}"
         "-DXTT_CONSUMER_STANDARD=${CONSUMER_STANDARD}")
if(KIND STREQUAL "find_package")
  execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${work}/prefix"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install failed")
  endif()
  list(PREPEND prefix_path "${work}/prefix")
  list(APPEND args "-DXTT_VERSION=${VERSION}")
endif()
if(prefix_path)
  string(REPLACE ";" "\\;" prefix_path "${prefix_path}")
  list(APPEND args "-DCMAKE_PREFIX_PATH=${prefix_path}")
endif()

execute_process(COMMAND ${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumers/${KIND}" -B "${work}/build"
                        -G "${GENERATOR}" ${args}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure of the ${KIND} consumer failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build "${work}/build" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "build of the ${KIND} consumer failed")
endif()
execute_process(COMMAND "${work}/build/consumer" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the ${KIND} consumer failed")
endif()
