// Postfix's hold queue through its own tools: postqueue -j lists, postcat -hq
// reads the headers of one message, postsuper -H releases and -d deletes.
// The driver is declared in mta_queue.hpp (open_postfix_queue).
#pragma once
#include "quarantine/mta_queue.hpp"
