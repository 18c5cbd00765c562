# SPDX-License-Identifier: Apache-2.0
# No path of the build machine in what we ship.
#
# - __FILE__ and the debug info name files relative to the source and build
#   trees (-ffile-prefix-map), so `strings nvr | grep $PWD` finds nothing and
#   two builds from different directories give the same binary;
# - data the binary finds next to itself: a copy of data/ndaa-vendors.ini in
#   BUILD/share/nvr, where `nvr audit` looks first when it runs from the build
#   tree (EXE_DIR/share/nvr; an installed binary looks in EXE_DIR/../share/nvr,
#   see audit_default_vendors_path in nvr/audit.c).
include(CheckCCompilerFlag)
check_c_compiler_flag("-ffile-prefix-map=/a=b" NVR_HAVE_FILE_PREFIX_MAP)
if(NVR_HAVE_FILE_PREFIX_MAP)
  add_compile_options("-ffile-prefix-map=${CMAKE_BINARY_DIR}=." "-ffile-prefix-map=${CMAKE_SOURCE_DIR}=.")
endif()

configure_file(${CMAKE_SOURCE_DIR}/data/ndaa-vendors.ini ${CMAKE_BINARY_DIR}/share/nvr/ndaa-vendors.ini COPYONLY)
