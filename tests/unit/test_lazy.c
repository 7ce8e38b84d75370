/* labctl/lazy: a library that cannot be loaded is an error for the caller
 * (LAB_ENOLIB, exit code 3), never a print and an exit. Each Criterion
 * test runs in its own process, so each loads afresh. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../labctl/lazy/lazy.h"

Test(lazy, missing_library_is_an_error)
{
	setenv("LABCTL_LAZY_RDKAFKA", "/nonexistent/librdkafka.so.1", 1);
	struct lab_err err = {0};
	cr_assert_eq(lab_lazy_load(LAB_LAZY_RDKAFKA, &err), LAB_ENOLIB);
	cr_expect_eq(err.code, LAB_ENOLIB);
	cr_expect(strncmp(err.msg,
			  "cannot load '/nonexistent/librdkafka.so.1' (from LABCTL_LAZY_RDKAFKA, instead of "
			  "librdkafka.so.1): ",
			  97) == 0,
		  "%s", err.msg);
	cr_expect_eq(lab_err_exit_code(err.code), LAB_EXIT_ENGINE);
	/* the first outcome stays, even when the variable changes */
	unsetenv("LABCTL_LAZY_RDKAFKA");
	struct lab_err again = {0};
	cr_expect_eq(lab_lazy_load(LAB_LAZY_RDKAFKA, &again), LAB_ENOLIB);
	cr_expect_str_eq(again.msg, err.msg);
	/* another library is not affected */
	struct lab_err ok = {0};
	cr_expect_eq(lab_lazy_load(LAB_LAZY_PQ, &ok), 0, "%s", ok.msg);
}

Test(lazy, empty_variable_or_another_soname_loads)
{
	setenv("LABCTL_LAZY_PQ", "", 1); /* empty: the soname */
	struct lab_err err = {0};
	cr_expect_eq(lab_lazy_load(LAB_LAZY_PQ, &err), 0, "%s", err.msg);
	setenv("LABCTL_LAZY_ARCHIVE", "libarchive.so.13", 1); /* another soname works too */
	cr_expect_eq(lab_lazy_load(LAB_LAZY_ARCHIVE, &err), 0, "%s", err.msg);
	cr_expect_eq(lab_lazy_load(LAB_LAZY__COUNT, &err), LAB_ERR);
}
