# build-man.cmake - cmake -P script: the man pages, gzipped (gzip -9n, as Debian wants them).
# The key list of lwm2m-mqtt-gateway.conf(5) comes from the built daemon's --schema, run
# through EMULATOR when cross-compiling (qemu-user); with no way to run it, the page points to
# --schema instead.
#   -DSRC=packaging/man -DOUT=<dir> -DDAEMON=<daemon> -DEMULATOR=<list> -DVERSION=<x.y.z>
#   -DCROSS=<bool>
file(MAKE_DIRECTORY "${OUT}")
set(schema "${OUT}/schema.md")
file(WRITE "${schema}" "")
if(NOT CROSS OR EMULATOR)
  # A sanitizer build (tests/run-all.sh) runs this too: leaks are the tests' business.
  set(ENV{ASAN_OPTIONS} "detect_leaks=0")
  execute_process(COMMAND ${EMULATOR} "${DAEMON}" --schema
                  OUTPUT_FILE "${schema}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${DAEMON} --schema failed (${rc})")
  endif()
endif()
execute_process(COMMAND sh "${SRC}/schema2man.sh" "${SRC}/lwm2m-mqtt-gateway.conf.5.in"
                        "${schema}" "${VERSION}"
                OUTPUT_FILE "${OUT}/lwm2m-mqtt-gateway.conf.5" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "schema2man.sh failed (${rc})")
endif()
foreach(page "${SRC}/lwm2m-mqtt-gateway.8" "${OUT}/lwm2m-mqtt-gateway.conf.5"
             "${SRC}/lwm2m-codec.1")
  get_filename_component(name "${page}" NAME)
  execute_process(COMMAND gzip -9n -c "${page}" OUTPUT_FILE "${OUT}/${name}.gz"
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip ${page} failed (${rc})")
  endif()
endforeach()
