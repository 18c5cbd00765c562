# SPDX-License-Identifier: Apache-2.0
# The layers of the code, bottom first; the dependency rule in one line:
#   a file may include headers of its own layer and of the layers its layer
#   declares in nvr_layer(... DEPS ...), and DEPS may name only layers listed
#   before it here.  docs/design/overview.md draws the map.
#
# Each layer is a folder and a static library `nvr_<name>`.  Its headers are
# included as "<name>/file.h" through an include root that holds one symlink,
# BUILD/layers/<name>/<name> -> the folder, and that root is PUBLIC on the
# library: a target sees exactly its own layer and the layers it links,
# so a header of any other layer is not found by the compiler.  The repository
# root is on no include path.  check_layers.cmake reads every #include before
# each build and names the file, the line and the rule it breaks.
set(NVR_LAYERS base storage media ingest onvif live motion core playback audit export backup redact alert catalog http console cli)
set(NVR_LAYER_DIR_base lib/base)
set(NVR_LAYER_DIR_storage storage)
foreach(l media ingest onvif live motion core playback audit export backup redact alert catalog http console cli)
  set(NVR_LAYER_DIR_${l} nvr/${l})
endforeach()

set(NVR_LAYER_MAP ${CMAKE_BINARY_DIR}/layers/map.cmake)
file(WRITE ${NVR_LAYER_MAP} "# written by cmake/layers.cmake: layer, folder, allowed includes\n")

add_custom_target(nvr_layer_check ALL
  COMMAND ${CMAKE_COMMAND} -DROOT=${CMAKE_SOURCE_DIR} -DMAP=${NVR_LAYER_MAP}
          -P ${CMAKE_SOURCE_DIR}/cmake/check_layers.cmake
  COMMENT "layer rule: checking #include lines (cmake/layers.cmake)"
  VERBATIM)

# nvr_layer(NAME DEPS lower layers... SOURCES files...)
function(nvr_layer name)
  cmake_parse_arguments(L "" "" "DEPS;SOURCES" ${ARGN})
  list(FIND NVR_LAYERS ${name} rank)
  if(rank LESS 0)
    message(FATAL_ERROR "nvr_layer(${name}): not in NVR_LAYERS (cmake/layers.cmake)")
  endif()
  set(allowed ${name})
  foreach(d ${L_DEPS})
    list(FIND NVR_LAYERS ${d} drank)
    if(drank LESS 0 OR NOT drank LESS rank)
      message(FATAL_ERROR "layer rule: ${name} may not depend on ${d}: "
              "a layer depends only on layers listed before it in cmake/layers.cmake")
    endif()
    get_property(dallowed GLOBAL PROPERTY NVR_LAYER_ALLOWED_${d})
    list(APPEND allowed ${dallowed})
  endforeach()
  list(REMOVE_DUPLICATES allowed)
  set_property(GLOBAL PROPERTY NVR_LAYER_ALLOWED_${name} ${allowed})
  file(APPEND ${NVR_LAYER_MAP}
       "set(LAYER_DIR_${name} ${NVR_LAYER_DIR_${name}})\nset(LAYER_ALLOWED_${name} ${allowed})\nlist(APPEND LAYERS ${name})\n")

  set(root ${CMAKE_BINARY_DIR}/layers/${name})
  file(MAKE_DIRECTORY ${root})
  file(CREATE_LINK ${CMAKE_SOURCE_DIR}/${NVR_LAYER_DIR_${name}} ${root}/${name} SYMBOLIC)

  add_library(nvr_${name} STATIC ${L_SOURCES})
  target_include_directories(nvr_${name} PUBLIC ${root} ${CMAKE_BINARY_DIR}/generated)
  foreach(d ${L_DEPS})
    target_link_libraries(nvr_${name} PUBLIC nvr_${d})
  endforeach()
  add_dependencies(nvr_${name} nvr_layer_check)
endfunction()
