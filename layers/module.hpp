// Module: the base of every layer and model — one ordered name table per module holding its
// parameters, buffers and child modules; recursive introspection with PyTorch's names and
// dotted keys; train/eval; dtype conversion in place; state_dict / load_state_dict; deep
// copies (clone) while accidental copies do not compile; errors that name the layer.
//
// Deliberately no virtual forward(): a module declares the forward it needs (forward(x),
// forward(x, skip), forward(x, output_size)), and Sequential accepts any module with a
// one-tensor forward. The maths lives in autograd's free functions, which forwards call.
// Sequential runs a layer that has a forward_relu (Conv2d, ConvTranspose2d) followed by a
// ReLU through forward_relu (one fused op where no graph is recorded), except while anomaly
// mode or summary() is on.
#pragma once
#include <adjoint/autograd/tensor.hpp>

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace adjoint
{
    // An ordered name -> tensor list: state dicts, named parameters and buffers, optimizer state.
    using named_tensors = std::vector<std::pair<std::string, Tensor>>;

    class Module;
    class ReLU;   // layers/activation.hpp; Sequential fuses it into the layer before it

    namespace detail
    {
        template <class M, class = void>
        struct has_unary_forward : std::false_type
        {
        };
        template <class M>
        struct has_unary_forward<
            M, std::enable_if_t<std::is_convertible_v<decltype(std::declval<M&>().forward(std::declval<const Tensor&>())),
                                                      Tensor>>> : std::true_type
        {
        };

        // Whether M has `Tensor forward_relu(const Tensor&)` (relu(forward(x)) as one op)
        // declared by the same class as the one-tensor forward Sequential calls: a subclass
        // of Conv2d with a forward of its own is not fused with Conv2d's forward_relu.
        template <class C>
        C unary_member_owner(Tensor (C::*)(const Tensor&));
        template <class M, class = void>
        struct has_forward_relu : std::false_type
        {
        };
        template <class M>
        struct has_forward_relu<M, std::enable_if_t<std::is_same_v<decltype(unary_member_owner(&M::forward_relu)),
                                                                    decltype(unary_member_owner(&M::forward))>>>
            : std::true_type
        {
        };

        // Whether a summary() is collecting layer records on this thread (layer_scope.cpp).
        bool summary_active();

        // Runs a layer's functional call: while it runs the layer is the innermost one on this
        // thread (summary() reads that), and an exception from inside gets the layer's dotted
        // path and type prefixed once, by the innermost layer that sits inside a model.
        class layer_scope
        {
        public:
            explicit layer_scope(const Module& layer);
            ~layer_scope();
            layer_scope(const layer_scope&) = delete;
            layer_scope& operator=(const layer_scope&) = delete;
            void finished(const Tensor& output) const;      // reported to an active summary()
            [[noreturn]] void rethrow_located() const;       // call inside a catch block

        private:
            const Module& m_layer;
        };
    }

    class Module
    {
    public:
        Module() = default;
        virtual ~Module();
        // Copying a module would share or duplicate its parameters by accident: use clone().
        Module(const Module&) = delete;
        Module& operator=(const Module&) = delete;

        // The class name ("Conv2d", "TinySeg"), shown in printing, summaries and errors.
        virtual std::string type_name() const;
        // The text inside the parentheses when printed, as PyTorch's extra_repr
        // ("3, 16, kernel_size=(3, 3), stride=(1, 1)"); empty by default.
        virtual std::string extra_repr() const { return ""; }
        // A deep copy: same configuration, copies of the parameters and buffers, same mode.
        // Layers implement it with clone_into(); the default says how.
        virtual std::shared_ptr<Module> clone() const;

        // Introspection, in registration order, depth first, with dotted names as in
        // PyTorch ("encoder.0.weight"). A tensor or module reachable twice is listed once.
        named_tensors named_parameters(bool recurse = true) const;
        tensor_list parameters(bool recurse = true) const;
        named_tensors named_buffers(bool recurse = true) const;
        tensor_list buffers(bool recurse = true) const;
        std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
        std::vector<std::shared_ptr<Module>> children() const;
        // This module (named `prefix`) and every descendant. The pointers are valid while the
        // model is alive.
        std::vector<std::pair<std::string, Module*>> named_modules(const std::string& prefix = "");
        std::vector<std::pair<std::string, const Module*>> named_modules(const std::string& prefix = "") const;
        void apply(const std::function<void(Module&)>& fn);   // children first, then this one

        // State.
        void train(bool on = true);   // recursive
        void eval() { train(false); }
        bool is_training() const { return m_training; }
        void zero_grad();             // drops every parameter's gradient
        // Converts every floating parameter and buffer in place (handles stay valid; int64
        // buffers such as counters stay int64). A graph recorded before refuses to run backward.
        void to(adjoint::dtype dt);

        // Parameters and persistent buffers under PyTorch's keys ("bn.running_mean").
        named_tensors state_dict() const;
        // Copies values into the existing tensors (handles an optimizer holds stay valid).
        // Every missing, unexpected (when strict), shape- or dtype-mismatched key is reported
        // in one std::invalid_argument, and nothing is changed when it throws.
        void load_state_dict(const named_tensors& state, bool strict = true);

        // The dotted path of this module from the root of the model it sits in ("" for a
        // root), following the first parent that registered it.
        std::string path() const;

    protected:
        // Registration: one name table for parameters, buffers and children. A name must be
        // non-empty, contain no '.', and be new to this module (std::invalid_argument). The
        // handle comes back by value; keep it as a member. An undefined parameter (bias=false)
        // takes its name but is not listed.
        Tensor register_parameter(const std::string& name, Tensor value, bool requires_grad = true);
        Tensor register_buffer(const std::string& name, Tensor value, bool persistent = true);
        template <class M>
        std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> module)
        {
            static_assert(std::is_base_of_v<Module, M>, "register_module: M must derive from adjoint::Module");
            add_child(name, module);
            return module;
        }

        // Runs f(), a layer's functional call, naming this layer in any error it raises
        // ("decoder.1 (ConvTranspose2d): conv_transpose2d: ...") when the layer is inside a model.
        template <class F>
        Tensor guarded(F&& f) const
        {
            detail::layer_scope scope(*this);
            try
            {
                Tensor out = f();
                scope.finished(out);
                return out;
            }
            catch (...)
            {
                scope.rethrow_located();
            }
        }

        // Copies every parameter and buffer value (and the training flag) of `from` into
        // this module's tensors of the same names, recursively; used by clone_into.
        void copy_state_from(const Module& from);

        // Puts `module` where the child `name` is registered (same name, same place in the
        // listings) and returns the child it replaces. Only for modules that reach their
        // children through the registry (Sequential::replace): a module that calls a child
        // through a member pointer would go on calling the old one. std::invalid_argument for
        // a name that is no child, a null module or the module itself.
        std::shared_ptr<Module> swap_child(const std::string& name, std::shared_ptr<Module> module);

    private:
        template <class M>
        friend std::shared_ptr<Module> clone_into(const M& self, std::shared_ptr<M> fresh);

        enum class entry_kind
        {
            parameter,
            buffer,
            module
        };
        struct entry
        {
            std::string name;
            entry_kind kind;
            Tensor tensor;                    // parameter or buffer
            bool persistent = true;           // buffers only
            std::shared_ptr<Module> module;   // children only
        };

        void add_child(const std::string& name, std::shared_ptr<Module> module);
        // Refuses this module as its own child; links `child` back here (as `name`) if it has
        // no parent yet. Shared by add_child and swap_child.
        void adopt(const std::string& name, Module& child);
        void check_new_name(const std::string& name, const char* what) const;
        void collect(entry_kind kind, bool recurse, bool persistent_only, const std::string& prefix,
                     named_tensors& out, std::vector<const void*>* seen) const;

        std::vector<entry> m_entries;
        bool m_training = true;
        const Module* m_parent = nullptr;   // the first module that registered this one
        std::string m_name;                 // this module's name in m_parent
    };

    // clone() for a layer: `fresh` is a new module of the same configuration (built from the
    // same options); it receives copies of self's parameter and buffer values and mode.
    //   std::shared_ptr<Module> clone() const override { return clone_into(*this, std::make_shared<Conv2d>(m_options)); }
    template <class M>
    std::shared_ptr<Module> clone_into(const M& self, std::shared_ptr<M> fresh)
    {
        static_cast<Module&>(*fresh).copy_state_from(self);
        return fresh;
    }

    // Prints the module tree as PyTorch does:
    //   Sequential(
    //     (0): Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    //   )
    std::ostream& operator<<(std::ostream& out, const Module& module);
    std::string to_string(const Module& module);

    // Applies its modules in order. Children are named "0", "1", ... as in torch.nn.Sequential.
    // Any module with a `Tensor forward(const Tensor&)` can be added.
    class Sequential : public Module
    {
    public:
        Sequential() = default;
        template <class... M>
        explicit Sequential(std::shared_ptr<M>... modules)
        {
            (push_back(std::move(modules)), ...);
        }

        template <class M>
        Sequential& push_back(std::shared_ptr<M> module)
        {
            push_erased(step_for(std::move(module)));
            return *this;
        }

        // Puts `module` at `index` (named "index", as the one there) and returns the module it
        // replaces. The model's parameters are then the new module's: build optimizers after
        // replacing. std::out_of_range past the end, std::invalid_argument for a null module.
        template <class M>
        std::shared_ptr<Module> replace(std::size_t index, std::shared_ptr<M> module)
        {
            return replace_erased(index, step_for(std::move(module)));
        }

        Tensor forward(const Tensor& x);
        Tensor operator()(const Tensor& x) { return forward(x); }
        std::size_t size() const { return m_calls.size(); }
        std::shared_ptr<Module> operator[](std::size_t index) const;   // std::out_of_range past the end
        std::shared_ptr<Module> clone() const override;

    private:
        using call_fn = Tensor (*)(Module&, const Tensor&);
        struct step
        {
            std::shared_ptr<Module> module;
            call_fn call;
            call_fn call_relu;   // relu(call(x)) as one op, or null
            bool is_relu;
        };
        // The module's own type is remembered in its step so that its (non-virtual) forward
        // can be called, and its forward_relu, if it has one.
        template <class M>
        static step step_for(std::shared_ptr<M> module)
        {
            static_assert(std::is_base_of_v<Module, M>, "Sequential: M must derive from adjoint::Module");
            static_assert(detail::has_unary_forward<M>::value,
                          "Sequential: the module needs a `Tensor forward(const Tensor&)`");
            step s{std::move(module), [](Module& m, const Tensor& x) { return static_cast<M&>(m).forward(x); },
                   nullptr, std::is_same_v<M, ReLU>};
            if constexpr (detail::has_forward_relu<M>::value)
            {
                s.call_relu = [](Module& m, const Tensor& x) { return static_cast<M&>(m).forward_relu(x); };
            }
            return s;
        }
        void push_erased(step s);
        void check_index(std::size_t index) const;   // std::out_of_range past the end
        std::shared_ptr<Module> replace_erased(std::size_t index, step s);
        std::vector<step> m_calls;
    };
}
