# toolchain-aarch64.cmake - cross build for Debian arm64 (64-bit ARMv8: Raspberry Pi 3, 4, 5 and
# Zero 2 W with a 64-bit OS, most industrial ARM boxes). See debian-cross.cmake.
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=packaging/cmake/toolchain-aarch64.cmake \
#         -DLMG_SYSROOT=/path/to/sysroot-arm64
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(LMG_CROSS_TRIPLET aarch64-linux-gnu)
set(LMG_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
