;; medical_aggregate: per-diagnosis count and means over de-identified patient
;; records, with small-cell suppression, as canonical JSON (sorted keys, no spaces).
;;
;; Input: records separated by "\n"; empty lines are skipped. A record is
;;   age,sex,diagnosis_code,systolic_bp,hba1c_x10
;;   age           1-3 decimal digits (years)
;;   sex           F, M or X
;;   diagnosis     1-8 characters from A-Z 0-9 and "." (an ICD-10 code such as E11.9)
;;   systolic_bp   1-3 decimal digits (mmHg)
;;   hba1c_x10     1-3 decimal digits (HbA1c in percent times ten: 65 means 6.5 %)
;; Any other line (extra fields, spaces, "\r", lower case) is counted as invalid and skipped.
;;
;; Output:
;;   {"groups":{"<code>":{"count":N,"mean_hba1c_x100":H,"mean_systolic_bp_x100":S},...},
;;    "invalid_lines":I,"suppressed_groups":G}
;; Groups appear in byte order of their code. A group with fewer than 5 records
;; is left out and only counted in suppressed_groups. Means are in hundredths of
;; the unit (HbA1c in percent), rounded half up: S = floor((200*sum_bp + N) / (2N)),
;; H = floor((20*sum_hba1c_x10 + N) / (2N)).

(data (i32.const 64) "{\"groups\":{\00")
(data (i32.const 96) "\":{\"count\":\00")
(data (i32.const 128) ",\"mean_hba1c_x100\":\00")
(data (i32.const 160) ",\"mean_systolic_bp_x100\":\00")
(data (i32.const 192) "},\"invalid_lines\":\00")
(data (i32.const 224) ",\"suppressed_groups\":\00")

(global $min_group i64 (i64.const 5))
;; The group table: $groups entries of 32 bytes (key, count, sum_bp, sum_hba1c), sorted by key.
(global $table (mut i32) (i32.const 0))
(global $groups (mut i32) (i32.const 0))

;; Value of the 1-3 ASCII digits in [s, e), or -1.
(func $digits (param $s i32) (param $e i32) (result i64)
  (local $v i64) (local $d i32)
  (if (i32.gt_u (i32.sub (local.get $e) (local.get $s)) (i32.const 3)) (then (return (i64.const -1))))
  (if (i32.eqz (i32.sub (local.get $e) (local.get $s))) (then (return (i64.const -1))))
  (loop $digit
    (local.set $d (i32.sub (i32.load8_u (local.get $s)) (i32.const 48)))
    (if (i32.gt_u (local.get $d) (i32.const 9)) (then (return (i64.const -1))))
    (local.set $v (i64.add (i64.mul (local.get $v) (i64.const 10)) (i64.extend_i32_u (local.get $d))))
    (local.set $s (i32.add (local.get $s) (i32.const 1)))
    (br_if $digit (i32.lt_u (local.get $s) (local.get $e))))
  (local.get $v))

;; The diagnosis code in [s, e) packed big-endian into the top of an i64 (so
;; unsigned order is byte order), or 0 if it is not 1-8 characters of A-Z 0-9 ".".
(func $code_key (param $s i32) (param $e i32) (result i64)
  (local $key i64) (local $shift i64) (local $c i32)
  (if (i32.gt_u (i32.sub (local.get $e) (local.get $s)) (i32.const 8)) (then (return (i64.const 0))))
  (if (i32.eqz (i32.sub (local.get $e) (local.get $s))) (then (return (i64.const 0))))
  (local.set $shift (i64.const 56))
  (loop $char
    (local.set $c (i32.load8_u (local.get $s)))
    (if (i32.eqz (i32.or (i32.or (i32.lt_u (i32.sub (local.get $c) (i32.const 65)) (i32.const 26))
                                 (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10)))
                         (i32.eq (local.get $c) (i32.const 46))))
      (then (return (i64.const 0))))
    (local.set $key (i64.or (local.get $key) (i64.shl (i64.extend_i32_u (local.get $c)) (local.get $shift))))
    (local.set $shift (i64.sub (local.get $shift) (i64.const 8)))
    (local.set $s (i32.add (local.get $s) (i32.const 1)))
    (br_if $char (i32.lt_u (local.get $s) (local.get $e))))
  (local.get $key))

;; Address of the first "," in [s, e), or e.
(func $field_end (param $s i32) (param $e i32) (result i32)
  (block $found
    (loop $scan
      (br_if $found (i32.ge_u (local.get $s) (local.get $e)))
      (br_if $found (i32.eq (i32.load8_u (local.get $s)) (i32.const 44)))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $scan)))
  (local.get $s))

;; Add one record to its group, inserting the group in key order if it is new.
(func $add (param $key i64) (param $bp i64) (param $hba1c i64)
  (local $lo i32) (local $hi i32) (local $mid i32) (local $entry i32)
  (local.set $hi (global.get $groups))
  (block $searched
    (loop $search
      (br_if $searched (i32.ge_u (local.get $lo) (local.get $hi)))
      (local.set $mid (i32.shr_u (i32.add (local.get $lo) (local.get $hi)) (i32.const 1)))
      (if (i64.lt_u (i64.load (i32.add (global.get $table) (i32.shl (local.get $mid) (i32.const 5))))
                    (local.get $key))
        (then (local.set $lo (i32.add (local.get $mid) (i32.const 1))))
        (else (local.set $hi (local.get $mid))))
      (br $search)))
  (local.set $entry (i32.add (global.get $table) (i32.shl (local.get $lo) (i32.const 5))))
  (if (i32.or (i32.ge_u (local.get $lo) (global.get $groups))
              (i64.ne (i64.load (local.get $entry)) (local.get $key)))
    (then
      (memory.copy (i32.add (local.get $entry) (i32.const 32)) (local.get $entry)
                   (i32.shl (i32.sub (global.get $groups) (local.get $lo)) (i32.const 5)))
      (i64.store (local.get $entry) (local.get $key))
      (i64.store offset=8 (local.get $entry) (i64.const 0))
      (i64.store offset=16 (local.get $entry) (i64.const 0))
      (i64.store offset=24 (local.get $entry) (i64.const 0))
      (global.set $groups (i32.add (global.get $groups) (i32.const 1)))))
  (i64.store offset=8 (local.get $entry) (i64.add (i64.load offset=8 (local.get $entry)) (i64.const 1)))
  (i64.store offset=16 (local.get $entry) (i64.add (i64.load offset=16 (local.get $entry)) (local.get $bp)))
  (i64.store offset=24 (local.get $entry) (i64.add (i64.load offset=24 (local.get $entry)) (local.get $hba1c))))

;; Parse the record in [s, e) and add it; return 1 if it was valid, else 0.
(func $record (param $s i32) (param $e i32) (result i32)
  (local $end i32) (local $key i64) (local $bp i64) (local $hba1c i64)
  ;; age
  (local.set $end (call $field_end (local.get $s) (local.get $e)))
  (if (i32.or (i32.eq (local.get $end) (local.get $e))
              (i64.lt_s (call $digits (local.get $s) (local.get $end)) (i64.const 0)))
    (then (return (i32.const 0))))
  ;; sex: exactly one of F, M, X followed by ","
  (local.set $s (i32.add (local.get $end) (i32.const 1)))
  (if (i32.lt_u (i32.sub (local.get $e) (local.get $s)) (i32.const 2)) (then (return (i32.const 0))))
  (if (i32.ne (i32.load8_u offset=1 (local.get $s)) (i32.const 44)) (then (return (i32.const 0))))
  (if (i32.eqz (i32.or (i32.or (i32.eq (i32.load8_u (local.get $s)) (i32.const 70))
                               (i32.eq (i32.load8_u (local.get $s)) (i32.const 77)))
                       (i32.eq (i32.load8_u (local.get $s)) (i32.const 88))))
    (then (return (i32.const 0))))
  ;; diagnosis code
  (local.set $s (i32.add (local.get $s) (i32.const 2)))
  (local.set $end (call $field_end (local.get $s) (local.get $e)))
  (local.set $key (call $code_key (local.get $s) (local.get $end)))
  (if (i32.or (i32.eq (local.get $end) (local.get $e)) (i64.eqz (local.get $key))) (then (return (i32.const 0))))
  ;; systolic_bp
  (local.set $s (i32.add (local.get $end) (i32.const 1)))
  (local.set $end (call $field_end (local.get $s) (local.get $e)))
  (local.set $bp (call $digits (local.get $s) (local.get $end)))
  (if (i32.or (i32.eq (local.get $end) (local.get $e)) (i64.lt_s (local.get $bp) (i64.const 0)))
    (then (return (i32.const 0))))
  ;; hba1c_x10: the last field
  (local.set $s (i32.add (local.get $end) (i32.const 1)))
  (local.set $hba1c (call $digits (local.get $s) (local.get $e)))
  (if (i32.or (i32.ne (call $field_end (local.get $s) (local.get $e)) (local.get $e))
              (i64.lt_s (local.get $hba1c) (i64.const 0)))
    (then (return (i32.const 0))))
  (call $add (local.get $key) (local.get $bp) (local.get $hba1c))
  (i32.const 1))

;; floor((2 * scale * sum + n) / (2n)): the mean times scale, rounded half up.
(func $mean (param $sum i64) (param $n i64) (param $scale i64) (result i64)
  (i64.div_u (i64.add (i64.mul (i64.mul (i64.const 2) (local.get $scale)) (local.get $sum)) (local.get $n))
             (i64.mul (i64.const 2) (local.get $n))))

(func (export "run") (param $p i32) (param $len i32) (result i64)
  (local $end i32) (local $line i32) (local $next i32) (local $invalid i64) (local $suppressed i64)
  (local $entry i32) (local $table_end i32) (local $count i64) (local $key i64) (local $first i32)
  ;; A valid record takes at least 10 bytes with its newline, so len/10 + 1 groups always fit.
  (global.set $table (call $reserve (i32.shl (i32.add (i32.div_u (local.get $len) (i32.const 10)) (i32.const 1))
                                             (i32.const 5))))
  (local.set $end (i32.add (local.get $p) (local.get $len)))
  (local.set $line (local.get $p))
  (block $parsed
    (loop $lines
      (br_if $parsed (i32.ge_u (local.get $line) (local.get $end)))
      (local.set $next (local.get $line))
      (block $eol
        (loop $scan
          (br_if $eol (i32.ge_u (local.get $next) (local.get $end)))
          (br_if $eol (i32.eq (i32.load8_u (local.get $next)) (i32.const 10)))
          (local.set $next (i32.add (local.get $next) (i32.const 1)))
          (br $scan)))
      (if (i32.ne (local.get $next) (local.get $line))
        (then
          (if (i32.eqz (call $record (local.get $line) (local.get $next)))
            (then (local.set $invalid (i64.add (local.get $invalid) (i64.const 1)))))))
      (local.set $line (i32.add (local.get $next) (i32.const 1)))
      (br $lines)))
  (call $out_open)
  (call $emit_str (i32.const 64))
  (local.set $first (i32.const 1))
  (local.set $entry (global.get $table))
  (local.set $table_end (i32.add (global.get $table) (i32.shl (global.get $groups) (i32.const 5))))
  (block $emitted
    (loop $group
      (br_if $emitted (i32.ge_u (local.get $entry) (local.get $table_end)))
      (local.set $count (i64.load offset=8 (local.get $entry)))
      (if (i64.lt_u (local.get $count) (global.get $min_group))
        (then (local.set $suppressed (i64.add (local.get $suppressed) (i64.const 1))))
        (else
          (if (i32.eqz (local.get $first)) (then (call $emit_byte (i32.const 44))))
          (local.set $first (i32.const 0))
          (call $emit_byte (i32.const 34))
          (local.set $key (i64.load (local.get $entry)))
          (loop $code_char
            (call $emit_byte (i32.wrap_i64 (i64.shr_u (local.get $key) (i64.const 56))))
            (local.set $key (i64.shl (local.get $key) (i64.const 8)))
            (br_if $code_char (i64.ne (local.get $key) (i64.const 0))))
          (call $emit_str (i32.const 96))
          (call $emit_u64 (local.get $count))
          (call $emit_str (i32.const 128))
          (call $emit_u64 (call $mean (i64.load offset=24 (local.get $entry)) (local.get $count) (i64.const 10)))
          (call $emit_str (i32.const 160))
          (call $emit_u64 (call $mean (i64.load offset=16 (local.get $entry)) (local.get $count) (i64.const 100)))
          (call $emit_byte (i32.const 125))))
      (local.set $entry (i32.add (local.get $entry) (i32.const 32)))
      (br $group)))
  (call $emit_str (i32.const 192))
  (call $emit_u64 (local.get $invalid))
  (call $emit_str (i32.const 224))
  (call $emit_u64 (local.get $suppressed))
  (call $emit_byte (i32.const 125))
  (call $out_close))
