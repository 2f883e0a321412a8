# Phrase matcher engines compared on corpus text: `matcher_bench [CORPUS_DIR]`.
add_executable(matcher_bench ${CMAKE_CURRENT_LIST_DIR}/matcher_bench.cpp)
target_link_libraries(matcher_bench PRIVATE pushback_scoring pushback_config benchmark::benchmark pushback_warnings)
target_compile_definitions(matcher_bench PRIVATE PUSHBACK_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
