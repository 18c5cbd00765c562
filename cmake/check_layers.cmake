# SPDX-License-Identifier: Apache-2.0
# Checks the layer rule on every #include "..." of the layer folders (cmake -P).
#   cmake -DROOT=<source dir> -DMAP=<BUILD/layers/map.cmake> -P cmake/check_layers.cmake
# MAP (written by cmake/layers.cmake) lists each layer's folder and the layers
# it may include.  A quoted include must be "<layer>/<file>.h" of an allowed
# layer, or "version.h" (generated); anything else -- a path from the
# repository root, "../", another layer's header -- stops the build with the
# file, the line and the rule.
cmake_minimum_required(VERSION 3.25)
include(${MAP})
set(bad 0)

# Prints one broken include as FILE:LINE: why (unwrapped, one line).
function(report file rel inc why)
  file(STRINGS ${file} all)
  set(n 0)
  foreach(l IN LISTS all)
    math(EXPR n "${n} + 1")
    if(l MATCHES "#[ \t]*include[ \t]*\"${inc}\"")
      break()
    endif()
  endforeach()
  message(NOTICE "${rel}:${n}: layer rule: ${why}")
endfunction()

foreach(layer ${LAYERS})
  file(GLOB files ${ROOT}/${LAYER_DIR_${layer}}/*.c ${ROOT}/${LAYER_DIR_${layer}}/*.cpp ${ROOT}/${LAYER_DIR_${layer}}/*.h)
  foreach(f ${files})
    file(STRINGS ${f} lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(line ${lines})
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]*)\".*" "\\1" inc "${line}")
      if(inc STREQUAL "version.h")
        continue()
      endif()
      string(REGEX MATCH "^[a-z_]+" top "${inc}")
      file(RELATIVE_PATH rel ${ROOT} ${f})
      if(NOT inc MATCHES "^[a-z_]+/[A-Za-z0-9_]+\\.h$" OR NOT top IN_LIST LAYERS)
        string(REPLACE ";" " " names "${LAYERS}")
        report(${f} ${rel} "${inc}" "${rel} includes \"${inc}\": write \"<layer>/<file>.h\" (layers: ${names}); paths from the repository root and \"../\" are not used")
        math(EXPR bad "${bad} + 1")
      elseif(NOT top IN_LIST LAYER_ALLOWED_${layer})
        string(REPLACE ";" " " may "${LAYER_ALLOWED_${layer}}")
        report(${f} ${rel} "${inc}" "${rel} (layer ${layer}) includes \"${inc}\" of layer ${top}; ${layer} may include only: ${may} (cmake/layers.cmake, docs/design/overview.md)")
        math(EXPR bad "${bad} + 1")
      endif()
    endforeach()
  endforeach()
endforeach()
if(bad GREATER 0)
  message(FATAL_ERROR "layer rule: ${bad} include(s) break the dependency rule")
endif()
