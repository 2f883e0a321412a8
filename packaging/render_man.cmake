# Fills a man page template: @PROJECT_VERSION@ and, when given, @SCHEMA_ROFF@
# with the key reference printed by `pushback check-config --schema roff`.
if(DEFINED BINARY)
  execute_process(COMMAND ${BINARY} check-config --schema roff OUTPUT_VARIABLE SCHEMA_ROFF RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "pushback check-config --schema roff failed")
  endif()
endif()
configure_file(${IN} ${OUT}.plain @ONLY)
execute_process(COMMAND gzip -9nc ${OUT}.plain OUTPUT_FILE ${OUT})
