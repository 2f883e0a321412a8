# The console's overview bench: web_store_fill builds a large LMDB store, and
# web_overview_bench.py times the overview page through the real server.
add_executable(web_store_fill ${CMAKE_CURRENT_LIST_DIR}/web_store_fill.cpp ${PROJECT_SOURCE_DIR}/tests/state/support.cpp)
target_include_directories(web_store_fill PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/tests/state)
target_link_libraries(web_store_fill PRIVATE pushback_state pushback_warnings)
target_compile_definitions(web_store_fill PRIVATE REDIS_SERVER="")
