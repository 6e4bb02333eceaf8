// The small C layer between Swift and Lua 5.4: everything that may raise a Lua error (longjmp)
// lives here, so no Lua error ever unwinds a Swift frame. See docs/decisions/0001.
#ifndef LANDER_SHIM_H
#define LANDER_SHIM_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stddef.h>
#include <stdint.h>

/// A host function returns a result count >= 0, or one of these statuses.
#define LANDER_HOST_ERROR (-1)
#define LANDER_HOST_YIELD (-2)

/// Why a script was stopped by its budget (sticky until the next entry).
#define LANDER_STOP_NONE 0
#define LANDER_STOP_INSTRUCTIONS 1
#define LANDER_STOP_MEMORY 2
#define LANDER_STOP_DEADLINE 3
#define LANDER_STOP_CANCELLED 4
#define LANDER_STOP_HOST 5

/// The Swift dispatcher every host function goes through: returns a count or a LANDER_HOST_* status.
typedef int (*lander_dispatch_fn)(lua_State *L, int function_id);

/// Answers whether the task running on this thread was cancelled (polled by the budget hook).
typedef int (*lander_cancel_check_fn)(void);

/// The budget and owner of one state; shared by all of its threads. Opaque to Swift.
typedef struct lander_budget lander_budget;

/// Installs the process-wide Swift dispatcher (once, before any host function runs).
void lander_set_dispatch(lander_dispatch_fn fn);
/// Installs the process-wide cancellation check the budget hook polls.
void lander_set_cancel_check(lander_cancel_check_fn fn);

/// A new state with the counting allocator, the budget hook and safe standard libraries opened.
/// Returns NULL when memory is exhausted.
lua_State *lander_newstate(void *owner);
/// Closes the state and frees its budget.
void lander_close(lua_State *L);
/// The Swift owner given to lander_newstate.
void *lander_owner(lua_State *L);
/// Sets the Swift owner once it exists.
void lander_set_owner(lua_State *L, void *owner);
/// Compiles trusted source to a binary chunk (malloc'd; the caller frees it); NULL on error.
char *lander_compile(const char *source, size_t length, const char *chunkname, size_t *size);
/// The budget of a state, to interrupt it from another thread.
lander_budget *lander_budget_of(lua_State *L);

/// Sets the memory limit in bytes and the instruction limit (0: none).
void lander_set_limits(lua_State *L, size_t memory, int64_t instructions);
/// Resets counters, hooks and the stop reason before one entry; deadline is monotonic ns (0: none).
void lander_begin_entry(lua_State *L, lua_State *runner, int64_t deadline_ns);
/// Asks a running script to stop (thread-safe); reason is LANDER_STOP_DEADLINE, _CANCELLED or _HOST.
void lander_budget_interrupt(lander_budget *budget, int reason);
/// The stop reason, or else the pending interrupt, of the current entry (0: none).
int lander_budget_stop(lander_budget *budget);
/// Bytes the state holds now.
size_t lander_memory_used(lua_State *L);
/// The monotonic clock in nanoseconds.
int64_t lander_monotonic_ns(void);

/// lua_resume with the memory budget enforced while Lua runs.
int lander_resume(lua_State *co, lua_State *from, int nargs, int *nresults);
/// Compiles a chunk with the memory budget enforced; mode is "t" for scripts.
int lander_load(lua_State *L, const char *buffer, size_t size, const char *chunkname, const char *mode);
/// A protected call with a traceback message handler (for the runtime's own setup code).
int lander_pcall(lua_State *L, int nargs, int nresults);
/// Pushes tostring(value at idx) computed under protection; returns a LUA_* status.
int lander_safe_tostring(lua_State *L, int idx);

/// Pushes a Lua function that calls host function `function_id` through the trampoline.
void lander_push_host_function(lua_State *L, int function_id);
/// Pushes the value that marks a yield made for the host (a light userdata no script can forge).
void lander_push_yield_marker(lua_State *L);
/// Whether the value at idx is the host yield marker.
int lander_is_yield_marker(lua_State *L, int idx);

/// The pseudo-index of the registry (a macro Swift cannot import).
static inline int lander_registry_index(void) { return LUA_REGISTRYINDEX; }
/// Pops n values.
static inline void lander_pop(lua_State *L, int n) { lua_settop(L, -(n)-1); }

#endif
