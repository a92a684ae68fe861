// In-place kernels on arrays of one shape and dtype: the arithmetic of optimizer updates and
// initialisers (y = a*y + b*x, y += v*a*b, y += v*a/b, copies). They write into `y`'s buffer,
// which bumps its version; shapes and dtypes are checked here, naming `op`. No broadcasting:
// an update always has the parameter's own shape.
#pragma once
#include <adjoint/core/array.hpp>

namespace adjoint::kernels
{
    void copy_(array& y, const array& x, const char* op);                                // y = x
    void axpby_(array& y, double a, const array& x, double b, const char* op);           // y = a*y + b*x
    void scale_(array& y, double a);                                                    // y = a*y
    void mul_(array& y, const array& x, const char* op);                                 // y = y*x
    void addcmul_(array& y, const array& a, const array& b, double v, const char* op);   // y += v*a*b
    void addcdiv_(array& y, const array& a, const array& b, double v, const char* op);   // y += v*a/b
}
