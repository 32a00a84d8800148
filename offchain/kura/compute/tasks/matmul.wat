;; matmul: integer matrix product C = A x B modulo 2^32.
;;
;; Input:  n (u32 little-endian), then A and B, each n*n u32 little-endian, row-major.
;; Output: C, n*n u32 little-endian, row-major, every sum taken modulo 2^32.
;; An input whose length is not 4 + 8*n*n traps (unreachable).

(func (export "run") (param $p i32) (param $len i32) (result i64)
  (local $n i32) (local $row i32) (local $size i32)
  (local $a i32) (local $b i32) (local $c i32)
  (local $a_end i32) (local $c_row i32) (local $c_row_end i32) (local $b_row i32)
  (local $aik i32) (local $k_end i32) (local $ci i32) (local $bi i32)
  (if (i32.lt_u (local.get $len) (i32.const 4)) (then unreachable))
  (local.set $n (i32.load (local.get $p)))
  (if (i64.ne (i64.extend_i32_u (local.get $len))
              (i64.add (i64.const 4)
                       (i64.mul (i64.const 8) (i64.mul (i64.extend_i32_u (local.get $n))
                                                       (i64.extend_i32_u (local.get $n))))))
    (then unreachable))
  (local.set $row (i32.shl (local.get $n) (i32.const 2)))
  (local.set $size (i32.mul (local.get $row) (local.get $n)))
  (local.set $a (i32.add (local.get $p) (i32.const 4)))
  (local.set $b (i32.add (local.get $a) (local.get $size)))
  (call $out_open)
  (local.set $c (call $reserve (local.get $size)))
  (memory.fill (local.get $c) (i32.const 0) (local.get $size))
  ;; i-k-j order: C[i][*] += A[i][k] * B[k][*], walking rows of B and C contiguously.
  (local.set $a_end (i32.add (local.get $a) (local.get $size)))
  (local.set $c_row (local.get $c))
  (block $rows_done
    (loop $rows
      (br_if $rows_done (i32.ge_u (local.get $a) (local.get $a_end)))
      (local.set $c_row_end (i32.add (local.get $c_row) (local.get $row)))
      (local.set $k_end (i32.add (local.get $a) (local.get $row)))
      (local.set $b_row (local.get $b))
      (block $ks_done
        (loop $ks
          (br_if $ks_done (i32.ge_u (local.get $a) (local.get $k_end)))
          (local.set $aik (i32.load (local.get $a)))
          (local.set $ci (local.get $c_row))
          (local.set $bi (local.get $b_row))
          (block $js_done
            (loop $js
              (br_if $js_done (i32.ge_u (local.get $ci) (local.get $c_row_end)))
              (i32.store (local.get $ci)
                (i32.add (i32.load (local.get $ci)) (i32.mul (local.get $aik) (i32.load (local.get $bi)))))
              (local.set $ci (i32.add (local.get $ci) (i32.const 4)))
              (local.set $bi (i32.add (local.get $bi) (i32.const 4)))
              (br $js)))
          (local.set $a (i32.add (local.get $a) (i32.const 4)))
          (local.set $b_row (i32.add (local.get $b_row) (local.get $row)))
          (br $ks)))
      (local.set $c_row (local.get $c_row_end))
      (br $rows)))
  (call $out_close))
