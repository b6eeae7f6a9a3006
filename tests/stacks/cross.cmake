# Toolchain for the cross legs of tests/stacks/run.sh (arm64, s390x): Debian's
# cross g++ against a sysroot of the target's Debian packages, every test
# binary run under qemu user-mode emulation. run.sh writes a small file that
# sets these and includes this one:
#   XTT_CROSS_PROCESSOR   CMake's name of the processor (aarch64, s390x)
#   XTT_CROSS_TRIPLET     the GNU triplet of Debian's cross compiler
#   XTT_CROSS_SYSROOT     the unpacked packages
#   XTT_CROSS_EMULATOR    qemu-<processor>-static
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${XTT_CROSS_PROCESSOR})
set(CMAKE_SYSROOT "${XTT_CROSS_SYSROOT}")
set(CMAKE_C_COMPILER ${XTT_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${XTT_CROSS_TRIPLET}-g++)
# ctest (and add_custom_command) run target binaries through the emulator,
# which finds the target's loader and libraries in the sysroot
set(CMAKE_CROSSCOMPILING_EMULATOR "${XTT_CROSS_EMULATOR};-L;${XTT_CROSS_SYSROOT}")

# Libraries and headers from the sysroot only; programs (doxygen, python,
# make) from the host; packages from both, so that the consumer tests find the
# install tree they make in the build folder.
set(CMAKE_FIND_ROOT_PATH "${XTT_CROSS_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# The linker follows the libraries' own dependencies (LibTorch's BLAS and
# LAPACK among them, which are alternatives in their own folders) in the
# sysroot, not on the host.
set(_xtt_libdir "${XTT_CROSS_SYSROOT}/usr/lib/${XTT_CROSS_TRIPLET}")
set(_xtt_rpath_link "")
foreach(_xtt_dir "${_xtt_libdir}" "${XTT_CROSS_SYSROOT}/lib/${XTT_CROSS_TRIPLET}" "${XTT_CROSS_SYSROOT}/usr/lib"
                 "${_xtt_libdir}/blas" "${_xtt_libdir}/lapack" "${_xtt_libdir}/openblas-pthread")
  if(EXISTS "${_xtt_dir}")
    string(APPEND _xtt_rpath_link " -Wl,-rpath-link,${_xtt_dir}")
  endif()
endforeach()
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_xtt_rpath_link}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_xtt_rpath_link}")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "${_xtt_rpath_link}")
