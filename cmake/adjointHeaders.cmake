# Which header is what: every .hpp under core/, autograd/, layers/ and testing/ is named in
# exactly one of the lists below, one header per line. The lists decide what is installed
# (nothing is installed by pattern, so a new internal header cannot ship by accident) and
# what the install test expects to find; adjoint_check_header_lists() fails the configure
# when a header is in no list, in two, or listed but gone. It does not decide what a
# header may include: that is the layering in docs/architecture.md.
#
# Adding a header: one line in the right list, in alphabetical order.

# Public, and reachable from <adjoint/adjoint.hpp> (the install test checks both).
set(ADJOINT_PUBLIC_HEADERS
  core/activation_kernels.hpp
  core/allocator.hpp
  core/array.hpp
  core/conv_geometry.hpp
  core/conv_kernels.hpp
  core/dtype.hpp
  core/elementwise.hpp
  core/gemm.hpp
  core/interpolate_kernels.hpp
  core/matmul.hpp
  core/npy.hpp
  core/pool_kernels.hpp
  core/print.hpp
  core/random.hpp
  core/reduce.hpp
  core/safetensors.hpp
  core/shape.hpp
  core/shape_kernels.hpp
  core/threads.hpp
  autograd/activation.hpp
  autograd/anomaly.hpp
  autograd/batch_norm.hpp
  autograd/conv.hpp
  autograd/creation.hpp
  autograd/dropout.hpp
  autograd/custom_op.hpp
  autograd/elementwise.hpp
  autograd/grad_mode.hpp
  autograd/gradcheck.hpp
  autograd/interpolate.hpp
  autograd/linalg.hpp
  autograd/loss.hpp
  autograd/linear.hpp
  autograd/node.hpp
  autograd/ops.hpp
  autograd/pooling.hpp
  autograd/reduce.hpp
  autograd/shape_ops.hpp
  autograd/tensor.hpp
  layers/checkpoint.hpp
  layers/conv.hpp
  layers/gradcheck_module.hpp
  layers/init.hpp
  layers/loss.hpp
  layers/metrics.hpp
  layers/activation.hpp
  layers/batch_norm.hpp
  layers/linear.hpp
  layers/module.hpp
  layers/optim/adam.hpp
  layers/optim/clip_grad.hpp
  layers/optim/lr_scheduler.hpp
  layers/optim/optimizer.hpp
  layers/optim/rmsprop.hpp
  layers/optim/sgd.hpp
  layers/pooling.hpp
  layers/summary.hpp
  layers/upsample.hpp
)

# Public but opt-in: installed, deliberately left out of <adjoint/adjoint.hpp> because they
# include xtensor, which the rest of the public API never makes its users compile.
set(ADJOINT_OPT_IN_HEADERS
  core/xtensor_interop.hpp
  autograd/xtensor_interop.hpp
)

# The adjoint::testing component (GoogleTest assertions); installed with that component.
set(ADJOINT_TESTING_HEADERS
  testing/testing.hpp
)

# The adjoint::distributed component (data-parallel training over MPI, built only when MPI
# is found); installed with that component, never reached from <adjoint/adjoint.hpp>.
set(ADJOINT_DISTRIBUTED_HEADERS
  layers/distributed/data_parallel.hpp
  layers/distributed/distributed.hpp
  layers/distributed/metrics.hpp
  layers/distributed/process_group.hpp
  layers/distributed/sampler.hpp
  layers/distributed/sync_batch_norm.hpp
)

# Internal: used only by the library's own .cpp files, never installed. They stay
# reachable as <adjoint/core/...> in the build tree, which the .cpp files rely on.
set(ADJOINT_INTERNAL_HEADERS
  autograd/loss_detail.hpp # argument checks and the reduction shared by the loss files
  core/atomic_file.hpp     # temp file, fsync, rename: the savers of npy.cpp and safetensors.cpp
  core/batch_norm_kernels.hpp # channel moments and the normalising affine map (batch_norm.cpp)
  core/conv_depthwise.hpp  # direct path for depthwise convolutions (conv_kernels.cpp)
  core/conv_dnnl.hpp       # oneDNN's convolution primitives behind the conv kernels (conv_kernels.cpp)
  core/conv_runs.hpp       # the tap walker behind every conv kernel
  core/inplace.hpp         # in-place update kernels behind Tensor::add_ and friends
  core/loss_kernels.hpp    # softplus and the class mask behind the losses
  core/parallel.hpp        # the OpenMP loop helper every parallel kernel goes through
  core/vector_math.hpp     # xsimd softplus and sigmoid, AVX2 or baseline chosen at run time
  core/vector_math_impl.hpp # their one template, instantiated by vector_math{,_avx2}.cpp
  core/xt.hpp              # the one include of xtensor; keeps it out of public headers
  layers/python_repr.hpp   # numbers as Python prints them, for the layers' extra_repr
)

# Fails the configure, naming the header and this file, unless every .hpp in the source
# folders is in exactly one list and every listed header exists. The glob is
# CONFIGURE_DEPENDS, so a header added later re-runs this check on the next build.
function(adjoint_check_header_lists source_dir)
  file(GLOB_RECURSE found CONFIGURE_DEPENDS RELATIVE ${source_dir}
    ${source_dir}/core/*.hpp ${source_dir}/autograd/*.hpp
    ${source_dir}/layers/*.hpp ${source_dir}/testing/*.hpp)
  set(listed ${ADJOINT_PUBLIC_HEADERS} ${ADJOINT_OPT_IN_HEADERS}
    ${ADJOINT_TESTING_HEADERS} ${ADJOINT_DISTRIBUTED_HEADERS} ${ADJOINT_INTERNAL_HEADERS})
  set(problems "")
  foreach(header IN LISTS found)
    list(FIND listed ${header} at)
    if(at EQUAL -1)
      string(APPEND problems "  ${header} is in no list: public (installed, and included by "
        "adjoint.hpp), opt-in, testing, distributed, or internal (never installed)?\n")
    endif()
  endforeach()
  set(seen "")
  foreach(header IN LISTS listed)
    if(NOT EXISTS ${source_dir}/${header})
      string(APPEND problems "  ${header} is listed but does not exist\n")
    endif()
    if(header IN_LIST seen)
      string(APPEND problems "  ${header} is listed twice\n")
    endif()
    list(APPEND seen ${header})
  endforeach()
  if(problems)
    message(FATAL_ERROR "adjoint: the header lists in cmake/adjointHeaders.cmake are out of "
      "date:\n${problems}Add or fix one line per header there.")
  endif()
endfunction()
