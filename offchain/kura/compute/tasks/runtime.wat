;; kura task runtime: the part of the host ABI every shipped task shares.
;; build.py splices this text into each task's (module ...); it is not a module by itself.
;;
;; Memory map: bytes 0..31 are scratch for number formatting, 64..1023 hold the
;; task's constant strings (NUL-terminated, one every 32 bytes), and the heap
;; starts at 1024. The heap only grows: a task runs once in a fresh instance.

(memory (export "memory") 1)
(global $heap (mut i32) (i32.const 1024))
(global $out_start (mut i32) (i32.const 0))

;; Reserve len bytes at the top of the heap, growing memory when needed, and
;; return their address. Consecutive calls return consecutive bytes, which is
;; how the output is written. Traps (unreachable) when memory cannot grow.
(func $reserve (param $len i32) (result i32)
  (local $ptr i32) (local $end i32) (local $pages i32)
  (local.set $ptr (global.get $heap))
  (local.set $end (i32.add (local.get $ptr) (local.get $len)))
  (if (i32.lt_u (local.get $end) (local.get $ptr)) (then unreachable))
  (local.set $pages
    (i32.sub
      (i32.wrap_i64 (i64.shr_u (i64.add (i64.extend_i32_u (local.get $end)) (i64.const 0xffff)) (i64.const 16)))
      (memory.size)))
  (if (i32.gt_s (local.get $pages) (i32.const 0))
    (then (if (i32.eq (memory.grow (local.get $pages)) (i32.const -1)) (then unreachable))))
  (global.set $heap (local.get $end))
  (local.get $ptr))

;; ABI: reserve len bytes for the input, 8-byte aligned.
(func (export "alloc") (param $len i32) (result i32)
  (global.set $heap (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8)))
  (call $reserve (local.get $len)))

;; Start the output at the top of the heap (aligned); nothing else may reserve until $out_close.
(func $out_open
  (drop (call $reserve (i32.sub (i32.and (i32.add (global.get $heap) (i32.const 7)) (i32.const -8))
                                (global.get $heap))))
  (global.set $out_start (global.get $heap)))

;; ABI: the (out_ptr << 32) | out_len the entry function returns.
(func $out_close (result i64)
  (i64.or (i64.shl (i64.extend_i32_u (global.get $out_start)) (i64.const 32))
          (i64.extend_i32_u (i32.sub (global.get $heap) (global.get $out_start)))))

(func $emit_byte (param $b i32)
  (i32.store8 (call $reserve (i32.const 1)) (local.get $b)))

(func $emit_bytes (param $src i32) (param $len i32)
  (memory.copy (call $reserve (local.get $len)) (local.get $src) (local.get $len)))

;; Emit the NUL-terminated constant string at $s.
(func $emit_str (param $s i32)
  (block $end
    (loop $next
      (br_if $end (i32.eqz (i32.load8_u (local.get $s))))
      (call $emit_byte (i32.load8_u (local.get $s)))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $next))))

;; Emit an unsigned 64-bit integer in decimal, without leading zeros.
(func $emit_u64 (param $v i64)
  (local $i i32)
  (local.set $i (i32.const 32))
  (loop $digit
    (local.set $i (i32.sub (local.get $i) (i32.const 1)))
    (i32.store8 (local.get $i)
      (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
    (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
    (br_if $digit (i64.ne (local.get $v) (i64.const 0))))
  (call $emit_bytes (local.get $i) (i32.sub (i32.const 32) (local.get $i))))
