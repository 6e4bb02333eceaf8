// Budgeted allocator, budget hook, trampoline and protected helpers. See lander_shim.h.
#include "lander_shim.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/// Instructions between two budget checks.
#define LANDER_HOOK_INTERVAL 1000

/// Small blocks come from per-state size classes carved out of cached chunks: Lua states are
/// short-lived, allocate many small objects, and all of it goes at once when the state closes.
#define SLAB_GRAIN 16
#define SLAB_CLASSES 32
#define SLAB_MAX (SLAB_GRAIN * SLAB_CLASSES)
#define CHUNK_SIZE (32 * 1024)
#define CHUNK_CACHE_LIMIT 512

typedef struct chunk {
    struct chunk *next;
    _Alignas(16) char data[];
} chunk;

static pthread_mutex_t chunk_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static chunk *chunk_cache;
static int chunk_cache_count;

static chunk *chunk_take(void) {
    pthread_mutex_lock(&chunk_cache_lock);
    chunk *c = chunk_cache;
    if (c) {
        chunk_cache = c->next;
        chunk_cache_count--;
    }
    pthread_mutex_unlock(&chunk_cache_lock);
    return c ? c : malloc(sizeof(chunk) + CHUNK_SIZE);
}

static void chunks_give_back(chunk *list) {
    while (list) {
        chunk *next = list->next;
        pthread_mutex_lock(&chunk_cache_lock);
        int keep = chunk_cache_count < CHUNK_CACHE_LIMIT;
        if (keep) {
            list->next = chunk_cache;
            chunk_cache = list;
            chunk_cache_count++;
        }
        pthread_mutex_unlock(&chunk_cache_lock);
        if (!keep) free(list);
        list = next;
    }
}

struct lander_budget {
    void *free_lists[SLAB_CLASSES];
    chunk *chunks;
    char *bump;
    size_t bump_left;
    void *owner;
    size_t memory_used;
    size_t memory_limit;
    int enforced;
    int64_t instruction_limit;
    int64_t instructions;
    int64_t deadline_ns;
    int stop;
    int tightened;
    atomic_int interrupt;
};

static lander_dispatch_fn dispatch;
static lander_cancel_check_fn cancel_check;
static const char yield_marker = 'y';

void lander_set_dispatch(lander_dispatch_fn fn) { dispatch = fn; }
void lander_set_cancel_check(lander_cancel_check_fn fn) { cancel_check = fn; }

static lander_budget *budget_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (lander_budget *)ud;
}

lander_budget *lander_budget_of(lua_State *L) { return budget_of(L); }

int64_t lander_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int slab_class(size_t size) { return (int)((size + SLAB_GRAIN - 1) / SLAB_GRAIN) - 1; }

static void *slab_alloc(lander_budget *b, size_t size) {
    int cls = slab_class(size);
    void *p = b->free_lists[cls];
    if (p) {
        b->free_lists[cls] = *(void **)p;
        return p;
    }
    size_t rounded = (size_t)(cls + 1) * SLAB_GRAIN;
    if (b->bump_left < rounded) {
        chunk *c = chunk_take();
        if (!c) return NULL;
        c->next = b->chunks;
        b->chunks = c;
        b->bump = c->data;
        b->bump_left = CHUNK_SIZE;
    }
    p = b->bump;
    b->bump += rounded;
    b->bump_left -= rounded;
    return p;
}

static void slab_free(lander_budget *b, void *p, size_t size) {
    int cls = slab_class(size);
    *(void **)p = b->free_lists[cls];
    b->free_lists[cls] = p;
}

static void block_free(lander_budget *b, void *p, size_t size) {
    if (size <= SLAB_MAX) slab_free(b, p, size);
    else free(p);
}

static void *block_realloc(lander_budget *b, void *ptr, size_t old, size_t nsize) {
    if (!ptr) return nsize <= SLAB_MAX ? slab_alloc(b, nsize) : malloc(nsize);
    if (old > SLAB_MAX && nsize > SLAB_MAX) return realloc(ptr, nsize);
    if (old <= SLAB_MAX && nsize <= SLAB_MAX && slab_class(old) == slab_class(nsize)) return ptr;
    void *p = nsize <= SLAB_MAX ? slab_alloc(b, nsize) : malloc(nsize);
    if (!p) return NULL;
    memcpy(p, ptr, old < nsize ? old : nsize);
    block_free(b, ptr, old);
    return p;
}

static void *budget_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    lander_budget *b = (lander_budget *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        if (ptr) block_free(b, ptr, osize);
        b->memory_used -= old;
        return NULL;
    }
    if (b->enforced && b->memory_limit && nsize > old && b->memory_used - old + nsize > b->memory_limit) {
        if (!b->stop) b->stop = LANDER_STOP_MEMORY;
        return NULL;
    }
    void *p = block_realloc(b, ptr, old, nsize);
    if (p) b->memory_used = b->memory_used - old + nsize;
    return p;
}

static const char *stop_message(int reason) {
    switch (reason) {
    case LANDER_STOP_INSTRUCTIONS: return "instruction limit exceeded";
    case LANDER_STOP_MEMORY: return "memory limit exceeded";
    case LANDER_STOP_DEADLINE: return "deadline exceeded";
    case LANDER_STOP_CANCELLED: return "cancelled";
    case LANDER_STOP_HOST: return "stopped by its host";
    default: return "stopped";
    }
}

// Runs every LANDER_HOOK_INTERVAL instructions; once a limit is hit it fires on every instruction,
// so a script's own pcall cannot swallow the stop.
static void budget_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    lander_budget *b = budget_of(L);
    if (!b->stop) {
        b->instructions += LANDER_HOOK_INTERVAL;
        int interrupt = atomic_load_explicit(&b->interrupt, memory_order_relaxed);
        if (interrupt) {
            b->stop = interrupt;
        } else if (cancel_check && cancel_check()) {
            b->stop = LANDER_STOP_CANCELLED;
        } else if (b->instruction_limit && b->instructions > b->instruction_limit) {
            b->stop = LANDER_STOP_INSTRUCTIONS;
        } else if (b->deadline_ns && lander_monotonic_ns() > b->deadline_ns) {
            b->stop = LANDER_STOP_DEADLINE;
        }
    }
    if (b->stop) {
        b->tightened = 1;
        lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
        luaL_where(L, 0);  // a hook has no frame of its own: level 0 is the running Lua function
        lua_pushstring(L, stop_message(b->stop));
        lua_concat(L, 2);
        lua_error(L);
    }
}

static int panic(lua_State *L) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "lander: unprotected Lua error (a bug in Lander): %s\n", msg ? msg : "?");
    abort();
}

static const luaL_Reg safe_libraries[] = {
    {LUA_GNAME, luaopen_base},         {LUA_COLIBNAME, luaopen_coroutine}, {LUA_TABLIBNAME, luaopen_table},
    {LUA_STRLIBNAME, luaopen_string},  {LUA_MATHLIBNAME, luaopen_math},    {LUA_UTF8LIBNAME, luaopen_utf8},
    {LUA_OSLIBNAME, luaopen_os},       {NULL, NULL},
};

static int open_libraries(lua_State *L) {
    for (const luaL_Reg *lib = safe_libraries; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    return 0;
}

lua_State *lander_newstate(void *owner) {
    lander_budget *b = calloc(1, sizeof(lander_budget));
    if (!b) return NULL;
    b->owner = owner;
    atomic_init(&b->interrupt, 0);
    lua_State *L = lua_newstate(budget_alloc, b);
    if (!L) {
        chunks_give_back(b->chunks);
        free(b);
        return NULL;
    }
    lua_atpanic(L, panic);
    lua_setwarnf(L, NULL, NULL);
    lua_pushcfunction(L, open_libraries);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        lander_close(L);
        return NULL;
    }
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, LANDER_HOOK_INTERVAL);
    return L;
}

void lander_close(lua_State *L) {
    lander_budget *b = budget_of(L);
    b->enforced = 0;
    lua_close(L);
    chunks_give_back(b->chunks);
    free(b);
}

void *lander_owner(lua_State *L) { return budget_of(L)->owner; }
void lander_set_owner(lua_State *L, void *owner) { budget_of(L)->owner = owner; }

typedef struct {
    char *data;
    size_t size;
    size_t capacity;
} dump_buffer;

static int dump_writer(lua_State *L, const void *p, size_t size, void *ud) {
    (void)L;
    dump_buffer *buffer = (dump_buffer *)ud;
    if (buffer->size + size > buffer->capacity) {
        size_t capacity = (buffer->capacity + size) * 2;
        char *data = realloc(buffer->data, capacity);
        if (!data) return 1;
        buffer->data = data;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->size, p, size);
    buffer->size += size;
    return 0;
}

char *lander_compile(const char *source, size_t length, const char *chunkname, size_t *size) {
    lua_State *L = luaL_newstate();
    if (!L) return NULL;
    dump_buffer buffer = {NULL, 0, 0};
    if (luaL_loadbufferx(L, source, length, chunkname, "t") == LUA_OK) {
        if (lua_dump(L, dump_writer, &buffer, 0) != 0) {
            free(buffer.data);
            buffer.data = NULL;
        }
    } else {
        fprintf(stderr, "lander: %s\n", lua_tostring(L, -1));
    }
    lua_close(L);
    *size = buffer.size;
    return buffer.data;
}

void lander_set_limits(lua_State *L, size_t memory, int64_t instructions) {
    lander_budget *b = budget_of(L);
    b->memory_limit = memory;
    b->instruction_limit = instructions;
}

void lander_begin_entry(lua_State *L, lua_State *runner, int64_t deadline_ns) {
    lander_budget *b = budget_of(L);
    if (b->tightened) {
        b->tightened = 0;
        lua_sethook(L, budget_hook, LUA_MASKCOUNT, LANDER_HOOK_INTERVAL);
        if (runner) lua_sethook(runner, budget_hook, LUA_MASKCOUNT, LANDER_HOOK_INTERVAL);
    }
    b->instructions = 0;
    b->stop = LANDER_STOP_NONE;
    b->deadline_ns = deadline_ns;
    atomic_store(&b->interrupt, 0);
}

void lander_budget_interrupt(lander_budget *budget, int reason) { atomic_store(&budget->interrupt, reason); }

int lander_budget_stop(lander_budget *budget) {
    int interrupt = atomic_load_explicit(&budget->interrupt, memory_order_relaxed);
    return budget->stop ? budget->stop : interrupt;
}
size_t lander_memory_used(lua_State *L) { return budget_of(L)->memory_used; }

int lander_resume(lua_State *co, lua_State *from, int nargs, int *nresults) {
    lander_budget *b = budget_of(co);
    int saved = b->enforced;
    b->enforced = 1;
    int status = lua_resume(co, from, nargs, nresults);
    b->enforced = saved;
    return status;
}

int lander_load(lua_State *L, const char *buffer, size_t size, const char *chunkname, const char *mode) {
    lander_budget *b = budget_of(L);
    int saved = b->enforced;
    b->enforced = 1;
    int status = luaL_loadbufferx(L, buffer, size, chunkname, mode);
    b->enforced = saved;
    return status;
}

static int traceback_handler(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
    return 1;
}

int lander_pcall(lua_State *L, int nargs, int nresults) {
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, traceback_handler);
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return status;
}

static int tostring_value(lua_State *L) {
    luaL_tolstring(L, 1, NULL);
    return 1;
}

int lander_safe_tostring(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_pushcfunction(L, tostring_value);
    lua_pushvalue(L, idx);
    return lua_pcall(L, 1, 1, 0);
}

// Resumes a host function that yielded: the host passes (true, results...) or (false, error).
static int host_continue(lua_State *L, int status, lua_KContext base) {
    (void)status;
    int first = (int)base + 1;
    if (!lua_toboolean(L, first)) {
        lua_settop(L, first + 1);
        return lua_error(L);
    }
    return lua_gettop(L) - first;
}

// The one C function behind every host function: Swift returns a status, C raises or yields.
static int trampoline(lua_State *L) {
    lander_budget *b = budget_of(L);
    int id = (int)lua_tointeger(L, lua_upvalueindex(1));
    int saved = b->enforced;
    b->enforced = 0;
    int n = dispatch(L, id);
    b->enforced = saved;
    if (n == LANDER_HOST_ERROR) return lua_error(L);
    if (saved && b->memory_limit && b->memory_used > b->memory_limit) {
        if (!b->stop) b->stop = LANDER_STOP_MEMORY;
        return luaL_error(L, "%s", stop_message(b->stop));
    }
    if (n == LANDER_HOST_YIELD) {
        int base = lua_gettop(L);
        lua_pushlightuserdata(L, (void *)&yield_marker);
        return lua_yieldk(L, 1, (lua_KContext)base, host_continue);
    }
    return n;
}

void lander_push_host_function(lua_State *L, int function_id) {
    lua_pushinteger(L, function_id);
    lua_pushcclosure(L, trampoline, 1);
}

void lander_push_yield_marker(lua_State *L) { lua_pushlightuserdata(L, (void *)&yield_marker); }

int lander_is_yield_marker(lua_State *L, int idx) {
    return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == (void *)&yield_marker;
}
