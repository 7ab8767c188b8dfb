# cpack-strip.cmake - CPACK_PRE_BUILD_SCRIPTS entry: strips the staged programs as dh_strip does
# (--strip-unneeded, without the .comment and .note sections), so lintian has nothing to say.
file(GLOB_RECURSE lmg_staged LIST_DIRECTORIES false
     "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/usr/bin/*" "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/usr/sbin/*")
if(NOT lmg_staged)
  message(FATAL_ERROR "cpack-strip: no programs under ${CPACK_TEMPORARY_INSTALL_DIRECTORY}")
endif()
foreach(f ${lmg_staged})
  execute_process(COMMAND "${CPACK_LMG_STRIP}" --remove-section=.comment --remove-section=.note
                          --strip-unneeded "${f}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cpack-strip: ${CPACK_LMG_STRIP} ${f} failed")
  endif()
endforeach()
