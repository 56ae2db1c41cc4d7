/*
 * Fake libdoca_common.so for the doca backend's tests: the runtime version (settable, to test
 * the 3.0-only guard) and the error names. Written from the project's ABI notes (BACKEND-NOTES
 * 1.2), with no DOCA header.
 */
#include <string.h>

static char version[64] = "3.0.0058";

const char *doca_version_runtime(void) { return version; }

/* Test control: the version the next doca_version_runtime() reports. */
void fake_doca_set_version(const char *v) {
    strncpy(version, v, sizeof version - 1);
    version[sizeof version - 1] = '\0';
}

static const char *const error_names[] = {
    "DOCA_SUCCESS", "DOCA_ERROR_UNKNOWN", "DOCA_ERROR_NOT_PERMITTED", "DOCA_ERROR_IN_USE", "DOCA_ERROR_NOT_SUPPORTED",
    "DOCA_ERROR_AGAIN", "DOCA_ERROR_INVALID_VALUE", "DOCA_ERROR_NO_MEMORY", "DOCA_ERROR_INITIALIZATION",
    "DOCA_ERROR_TIME_OUT", "DOCA_ERROR_SHUTDOWN", "DOCA_ERROR_CONNECTION_RESET", "DOCA_ERROR_CONNECTION_ABORTED",
    "DOCA_ERROR_CONNECTION_INPROGRESS", "DOCA_ERROR_NOT_CONNECTED", "DOCA_ERROR_NO_LOCK", "DOCA_ERROR_NOT_FOUND",
    "DOCA_ERROR_IO_FAILED", "DOCA_ERROR_BAD_STATE", "DOCA_ERROR_UNSUPPORTED_VERSION", "DOCA_ERROR_OPERATING_SYSTEM",
    "DOCA_ERROR_DRIVER", "DOCA_ERROR_UNEXPECTED", "DOCA_ERROR_ALREADY_EXIST", "DOCA_ERROR_FULL", "DOCA_ERROR_EMPTY",
    "DOCA_ERROR_IN_PROGRESS", "DOCA_ERROR_TOO_BIG", "DOCA_ERROR_AUTHENTICATION", "DOCA_ERROR_BAD_CONFIG",
    "DOCA_ERROR_SKIPPED",
};

const char *doca_error_get_name(int error) {
    int n = (int) (sizeof error_names / sizeof error_names[0]);
    return error >= 0 && error < n ? error_names[error] : "DOCA_ERROR_UNKNOWN";
}
