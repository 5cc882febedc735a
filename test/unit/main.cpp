// Catch2 runner for the pure modules' unit tests.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
