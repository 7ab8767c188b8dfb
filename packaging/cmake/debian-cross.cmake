# debian-cross.cmake - shared part of the Debian 12 cross toolchain files
# (toolchain-aarch64.cmake, toolchain-armhf.cmake); they set LMG_CROSS_TRIPLET,
# LMG_CROSS_QEMU and CMAKE_SYSTEM_PROCESSOR, then include this file.
#
# Compilers: Debian's cross gcc (gcc-aarch64-linux-gnu, gcc-arm-linux-gnueabihf).
# Target libraries, two routes:
#   - a sysroot (LMG_SYSROOT, as a -D option or in the environment) assembled by
#     packaging/cross/make-sysroot.sh from the target's .debs: what packaging/build-packages.sh
#     uses, because it works whatever the mirror serves for the host's multiarch;
#   - no LMG_SYSROOT: Debian multiarch (dpkg --add-architecture arm64; apt-get install
#     libcoap3-dev:arm64 ...), libraries in /usr/lib/<triplet>.
# Tests run under qemu-user (Debian: qemu-user) through CMAKE_CROSSCOMPILING_EMULATOR, so ctest
# runs the unit tests of the target architecture on the build machine.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${LMG_CROSS_TRIPLET}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${LMG_CROSS_TRIPLET})

if(NOT LMG_SYSROOT AND DEFINED ENV{LMG_SYSROOT})
  set(LMG_SYSROOT "$ENV{LMG_SYSROOT}")
endif()
# try_compile projects re-read this file: hand them the sysroot too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES LMG_SYSROOT)

if(LMG_SYSROOT)
  set(CMAKE_SYSROOT "${LMG_SYSROOT}")
  set(CMAKE_FIND_ROOT_PATH "${LMG_SYSROOT}")
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${LMG_SYSROOT}")
  set(ENV{PKG_CONFIG_LIBDIR}
      "${LMG_SYSROOT}/usr/lib/${LMG_CROSS_TRIPLET}/pkgconfig:${LMG_SYSROOT}/usr/share/pkgconfig")
  set(CMAKE_CROSSCOMPILING_EMULATOR ${LMG_CROSS_QEMU} -L "${LMG_SYSROOT}")
else()
  set(ENV{PKG_CONFIG_LIBDIR}
      "/usr/lib/${LMG_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
  # Multiarch puts the target's dynamic loader at the path the binaries name.
  set(CMAKE_CROSSCOMPILING_EMULATOR ${LMG_CROSS_QEMU})
endif()
set(PKG_CONFIG_EXECUTABLE pkg-config CACHE FILEPATH "pkg-config (host)")

# Programs (pkg-config, python3, mosquitto) from the build machine; libraries, headers and
# CMake packages only from the target.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
