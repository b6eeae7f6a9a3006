# Warnings are errors in xtensor-torch's own targets (tests, examples,
# benchmarks); LibTorch, xtensor and Eigen come in as SYSTEM headers.
add_library(xtensor-torch-warnings INTERFACE)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(xtensor-torch-warnings INTERFACE -Wall -Wextra -Wpedantic -Werror)
elseif(MSVC)
  target_compile_options(xtensor-torch-warnings INTERFACE /W4 /WX)
endif()
