# The reference milters of the end-to-end benchmark (bench/e2e_throughput.py):
# a naive libmilter filter that asks for every event, and with --lean one that
# negotiates what Pushback negotiates. Both read the body and add one header.
add_executable(null_milter ${CMAKE_CURRENT_LIST_DIR}/null_milter.c)
target_compile_options(null_milter PRIVATE -Wall -Wextra -Wpedantic)
target_link_libraries(null_milter PRIVATE PkgConfig::MILTER Threads::Threads)
