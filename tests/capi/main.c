/* capi_tests [NAME...]: runs the named tests, or all of them; --list prints the names.
 * Exit status 0 when every check passed. */
#include "capi_test.h"
#include "tests.h"

typedef struct test_case {
    const char* name;
    void (*run)(void);
} test_case;

#define LL_TEST_ENTRY(name) {#name, test_##name},
static const test_case all_tests[] = {LL_CAPI_TESTS(LL_TEST_ENTRY)};
#undef LL_TEST_ENTRY
enum { TEST_COUNT = sizeof all_tests / sizeof all_tests[0] };

static int run_one(const test_case* tc) {
    const int before = atomic_load(&t_failures);
    tc->run();
    const int failed = atomic_load(&t_failures) - before;
    printf("%-28s %s\n", tc->name, failed ? "FAILED" : "ok");
    return failed;
}

int main(int argc, char** argv) {
    int failed = 0;
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < TEST_COUNT; ++i) puts(all_tests[i].name);
        return 0;
    }
    if (argc == 1) {
        for (int i = 0; i < TEST_COUNT; ++i) failed += run_one(&all_tests[i]) != 0;
        return failed ? 1 : 0;
    }
    for (int a = 1; a < argc; ++a) {
        int found = 0;
        for (int i = 0; i < TEST_COUNT; ++i)
            if (strcmp(argv[a], all_tests[i].name) == 0) failed += run_one(&all_tests[i]) != 0, found = 1;
        if (!found) {
            fprintf(stderr, "no test named '%s' (see --list)\n", argv[a]);
            return 2;
        }
    }
    return failed ? 1 : 0;
}
