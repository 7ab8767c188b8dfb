# toolchain-armhf.cmake - cross build for Debian armhf (32-bit ARMv7-A with VFPv3-D16, hard
# float: Raspberry Pi 2, 3, 4, 5 and Zero 2 W on a 32-bit OS; not the ARMv6 Pi 1, Zero and
# Zero W). See debian-cross.cmake.
#   cmake -S . -B build-armhf -DCMAKE_TOOLCHAIN_FILE=packaging/cmake/toolchain-armhf.cmake \
#         -DLMG_SYSROOT=/path/to/sysroot-armhf
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(LMG_CROSS_TRIPLET arm-linux-gnueabihf)
set(LMG_CROSS_QEMU qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
# 32-bit: without large-file support readdir() fails with EOVERFLOW on file systems with 64-bit
# inode numbers (seen: the object directory loader found no files under qemu-arm). Harmless
# where the project sets it too.
set(CMAKE_C_FLAGS_INIT "-D_FILE_OFFSET_BITS=64")
