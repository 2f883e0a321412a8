# State store: observe() throughput for both backends, bytes per tracked pair
# in LMDB, Redis round trips per message. Redis runs start their own server.
find_program(REDIS_SERVER redis-server PATHS /usr/bin /usr/sbin)
add_executable(state_bench ${CMAKE_CURRENT_LIST_DIR}/state_bench.cpp ${PROJECT_SOURCE_DIR}/tests/state/support.cpp)
target_include_directories(state_bench PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/tests/state)
target_link_libraries(state_bench PRIVATE pushback_state PkgConfig::LMDB PkgConfig::HIREDIS benchmark::benchmark
  pushback_warnings)
target_compile_definitions(state_bench PRIVATE REDIS_SERVER="${REDIS_SERVER}")
