require "mkmf"

have_header("stdint.h")
$CFLAGS << " -O2 -Wall"
create_makefile("fast_json/fast_json")
