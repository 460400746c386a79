# Cross-compiling for AArch64 Linux with Debian's cross toolchain (g++-aarch64-linux-gnu) and
# arm64 multiarch dev packages (libhwy-dev:arm64, libgtest-dev:arm64); the binaries run here
# under qemu-user. See docs/cross-testing.md.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Multiarch keeps the target's libraries in /usr/lib/aarch64-linux-gnu and shares /usr/include:
# search there for libraries and packages, never run found programs as target ones.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# pkg-config must read the arm64 .pc files only, not the host's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# ctest runs the tests through qemu (with a CPU that has the dot product; see the docs for others).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -cpu max -L /)
