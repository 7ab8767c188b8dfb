# cpack.cmake - the Debian package (CPack DEB), included from packaging/CMakeLists.txt.
#   cpack -G DEB --config <build>/CPackConfig.cmake      (packaging/build-packages.sh runs it)
# The package: both programs, the configuration as a conffile, the systemd unit, the sysusers
# file, the man pages, copyright and changelog; Depends computed by dpkg-shlibdeps from the
# libraries the programs link (for a cross build, from the target sysroot's dpkg database:
# packaging/cross/make-sysroot.sh); maintainer scripts in packaging/debian/.

set(LMG_DEB_MAINTAINER "LwM2M-MQTT Gateway Maintainers <maintainers@lwm2m-mqtt-gateway.example>"
    CACHE STRING "Maintainer field of the .deb")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lwm2m-mqtt-gateway)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${LMG_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "LwM2M server for site devices with an MQTT bridge to the cloud")
set(CPACK_PACKAGE_DESCRIPTION
    "An edge gateway for constrained devices. Toward the site it is a complete\n"
    "LwM2M server (LwM2M 1.0, 1.1 and 1.2) over CoAP/UDP and DTLS and over the\n"
    "LwM2M 1.2 MQTT transport binding: registration, observation, queue mode,\n"
    "every content format.\n"
    "Toward the cloud it is an MQTT client (3.1.1 or 5, TLS): it publishes what the\n"
    "devices report as JSON on per-device topics and carries management commands\n"
    "back to them, queueing them for sleeping devices.\n"
    "\n"
    "This package contains the daemon with its hardened systemd unit and the\n"
    "lwm2m-codec tool, which decodes and encodes LwM2M payloads.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
# Stripped as dh_strip does (the target's strip, found by CMake with the compiler).
set(CPACK_STRIP_FILES OFF)
set(CPACK_LMG_STRIP "${CMAKE_STRIP}")
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/cpack-strip.cmake)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${LMG_DEB_MAINTAINER}")

# Architecture: the host's for a native build (CPack asks dpkg), the target's for a cross build.
if(CMAKE_CROSSCOMPILING)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^arm")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE armhf)
  else()
    message(WARNING "cpack: no Debian architecture known for ${CMAKE_SYSTEM_PROCESSOR}")
  endif()
endif()

# Dependencies: dpkg-shlibdeps from the ELF files, plus adduser (the postinst's fallback when
# systemd-sysusers is missing).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
if(LMG_SYSROOT AND CMAKE_LIBRARY_ARCHITECTURE)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS
      ${LMG_SYSROOT}/lib/${CMAKE_LIBRARY_ARCHITECTURE}
      ${LMG_SYSROOT}/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE})
endif()
# A cross build's dpkg-shlibdeps reads the sysroot's dpkg database and the target's objdump.
if(LMG_SYSROOT AND CPACK_DEBIAN_PACKAGE_ARCHITECTURE)
  set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_BINARY_DIR}/CPackProjectConfig.cmake)
  file(WRITE ${CPACK_PROJECT_CONFIG_FILE}
       "set(ENV{DPKG_ADMINDIR} \"${LMG_SYSROOT}/var/lib/dpkg\")\n"
       "set(ENV{DEB_HOST_ARCH} ${CPACK_DEBIAN_PACKAGE_ARCHITECTURE})\n")
endif()
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "mosquitto, mosquitto-clients")

set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/debian/conffiles
    ${CMAKE_CURRENT_LIST_DIR}/debian/postinst
    ${CMAKE_CURRENT_LIST_DIR}/debian/prerm
    ${CMAKE_CURRENT_LIST_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# Directories the package creates get 0755 whatever the builder's umask.
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

include(CPack)
