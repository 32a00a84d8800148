;; textstats: statistics of a UTF-8 text, as canonical JSON (sorted keys, no spaces).
;;
;; Input:  any bytes, meant to be UTF-8.
;; Output: {"bytes":B,"chars":C,"letters":{"a":N,...},"lines":L,"words":W}
;;   bytes   input length;  chars  Unicode code points;
;;   letters ASCII letters folded to lower case, only those that occur, in order;
;;   lines   "\n" count, plus one if the text is non-empty and does not end in "\n";
;;   words   maximal runs of bytes that are not ASCII whitespace (space, \t \n \v \f \r).
;; If the input is not well-formed UTF-8 (Unicode table 3-7: no overlongs, no
;; surrogates, nothing above U+10FFFF) the output is {"invalid_utf8_at":I}, I the
;; offset of the first byte of the first ill-formed sequence.

(data (i32.const 64) "{\"bytes\":\00")
(data (i32.const 96) ",\"chars\":\00")
(data (i32.const 128) ",\"letters\":{\00")
(data (i32.const 160) "},\"lines\":\00")
(data (i32.const 192) ",\"words\":\00")
(data (i32.const 224) "{\"invalid_utf8_at\":\00")
(data (i32.const 256) "\":\00")

;; Offset of the first ill-formed UTF-8 sequence in [p, p+len), or -1; sets $chars.
(global $chars (mut i64) (i64.const 0))
(func $utf8_error (param $p i32) (param $len i32) (result i32)
  (local $i i32) (local $b i32) (local $cont i32) (local $lo i32) (local $hi i32) (local $k i32) (local $c i32)
  (block $valid
    (loop $next
      (br_if $valid (i32.ge_u (local.get $i) (local.get $len)))
      (local.set $b (i32.load8_u (i32.add (local.get $p) (local.get $i))))
      (local.set $lo (i32.const 0x80))
      (local.set $hi (i32.const 0xbf))
      (block $classified
        (if (i32.lt_u (local.get $b) (i32.const 0x80)) (then (local.set $cont (i32.const 0)) (br $classified)))
        (if (i32.lt_u (local.get $b) (i32.const 0xc2)) (then (return (local.get $i))))
        (if (i32.lt_u (local.get $b) (i32.const 0xe0)) (then (local.set $cont (i32.const 1)) (br $classified)))
        (if (i32.lt_u (local.get $b) (i32.const 0xf0))
          (then
            (local.set $cont (i32.const 2))
            (if (i32.eq (local.get $b) (i32.const 0xe0)) (then (local.set $lo (i32.const 0xa0))))
            (if (i32.eq (local.get $b) (i32.const 0xed)) (then (local.set $hi (i32.const 0x9f))))
            (br $classified)))
        (if (i32.ge_u (local.get $b) (i32.const 0xf5)) (then (return (local.get $i))))
        (local.set $cont (i32.const 3))
        (if (i32.eq (local.get $b) (i32.const 0xf0)) (then (local.set $lo (i32.const 0x90))))
        (if (i32.eq (local.get $b) (i32.const 0xf4)) (then (local.set $hi (i32.const 0x8f)))))
      (if (i32.ge_u (i32.add (local.get $i) (local.get $cont)) (local.get $len)) (then (return (local.get $i))))
      (local.set $k (i32.const 1))
      (block $sequence_ok
        (loop $continuation
          (br_if $sequence_ok (i32.gt_u (local.get $k) (local.get $cont)))
          (local.set $c (i32.load8_u (i32.add (local.get $p) (i32.add (local.get $i) (local.get $k)))))
          (if (i32.or (i32.lt_u (local.get $c) (local.get $lo)) (i32.gt_u (local.get $c) (local.get $hi)))
            (then (return (local.get $i))))
          (local.set $lo (i32.const 0x80))
          (local.set $hi (i32.const 0xbf))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $continuation)))
      (local.set $i (i32.add (local.get $i) (i32.add (local.get $cont) (i32.const 1))))
      (global.set $chars (i64.add (global.get $chars) (i64.const 1)))
      (br $next)))
  (i32.const -1))

(func $is_space (param $b i32) (result i32)
  (i32.or (i32.eq (local.get $b) (i32.const 32))
          (i32.le_u (i32.sub (local.get $b) (i32.const 9)) (i32.const 4))))

(func (export "run") (param $p i32) (param $len i32) (result i64)
  (local $error i32) (local $letters i32) (local $i i32) (local $b i32) (local $slot i32)
  (local $in_word i32) (local $words i64) (local $lines i64) (local $first i32)
  (local.set $error (call $utf8_error (local.get $p) (local.get $len)))
  (local.set $letters (call $reserve (i32.const 208)))
  (memory.fill (local.get $letters) (i32.const 0) (i32.const 208))
  (call $out_open)
  (if (i32.ne (local.get $error) (i32.const -1))
    (then
      (call $emit_str (i32.const 224))
      (call $emit_u64 (i64.extend_i32_u (local.get $error)))
      (call $emit_byte (i32.const 125))
      (return (call $out_close))))
  (block $done
    (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (local.set $b (i32.load8_u (i32.add (local.get $p) (local.get $i))))
      (if (i32.eq (local.get $b) (i32.const 10)) (then (local.set $lines (i64.add (local.get $lines) (i64.const 1)))))
      (if (call $is_space (local.get $b))
        (then (local.set $in_word (i32.const 0)))
        (else
          (if (i32.eqz (local.get $in_word)) (then (local.set $words (i64.add (local.get $words) (i64.const 1)))))
          (local.set $in_word (i32.const 1))))
      (local.set $slot (i32.sub (i32.or (local.get $b) (i32.const 0x20)) (i32.const 97)))
      (if (i32.lt_u (local.get $slot) (i32.const 26))
        (then
          (local.set $slot (i32.add (local.get $letters) (i32.shl (local.get $slot) (i32.const 3))))
          (i64.store (local.get $slot) (i64.add (i64.load (local.get $slot)) (i64.const 1)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
  (if (i32.and (i32.ne (local.get $len) (i32.const 0))
               (i32.ne (i32.load8_u (i32.add (local.get $p) (i32.sub (local.get $len) (i32.const 1)))) (i32.const 10)))
    (then (local.set $lines (i64.add (local.get $lines) (i64.const 1)))))
  (call $emit_str (i32.const 64))
  (call $emit_u64 (i64.extend_i32_u (local.get $len)))
  (call $emit_str (i32.const 96))
  (call $emit_u64 (global.get $chars))
  (call $emit_str (i32.const 128))
  (local.set $first (i32.const 1))
  (local.set $i (i32.const 0))
  (block $letters_done
    (loop $letter
      (br_if $letters_done (i32.ge_u (local.get $i) (i32.const 26)))
      (local.set $slot (i32.add (local.get $letters) (i32.shl (local.get $i) (i32.const 3))))
      (if (i64.ne (i64.load (local.get $slot)) (i64.const 0))
        (then
          (if (i32.eqz (local.get $first)) (then (call $emit_byte (i32.const 44))))
          (local.set $first (i32.const 0))
          (call $emit_byte (i32.const 34))
          (call $emit_byte (i32.add (i32.const 97) (local.get $i)))
          (call $emit_str (i32.const 256))
          (call $emit_u64 (i64.load (local.get $slot)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $letter)))
  (call $emit_str (i32.const 160))
  (call $emit_u64 (local.get $lines))
  (call $emit_str (i32.const 192))
  (call $emit_u64 (local.get $words))
  (call $emit_byte (i32.const 125))
  (call $out_close))
