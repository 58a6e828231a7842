(* particles: twin of particles.pole-ir. Immutable records in arrays: each
   frame maps the array to moved particles (Array.map), keeps the live ones
   (through a list: OCaml 4.13 has no Array.filter) and appends the new
   ones, in the same order as the Pole program. *)

type particle = { x : float; y : float; vx : float; vy : float; life : int }

let count = 10000
let frames = 1000
let lcg s = (s * 1103515245 + 12345) mod 2147483648
let unit s = float_of_int s /. 2147483648.0

(* The new particles appended to kept until there are count; the emitter's
   state and spawned count after. *)
let fill kept seed spawned =
  let k = max 0 (count - Array.length kept) in
  let seed = ref seed in
  let fresh = Array.init k (fun _ ->
      let s1 = lcg !seed in
      let s2 = lcg s1 in
      let s3 = lcg s2 in
      seed := s3;
      { x = 0.0; y = 0.0; vx = (unit s1 -. 0.5) *. 10.0; vy = 5.0 +. unit s2 *. 20.0;
        life = 50 + s3 / 1024 mod 100 }) in
  (Array.append kept fresh, !seed, spawned + k)

let step p =
  { p with x = p.x +. p.vx *. 0.01; y = p.y +. p.vy *. 0.01; vy = p.vy -. 0.0981;
           life = p.life - 1 }

let alive p = p.life > 0 && p.y >= 0.0

let () =
  let ps, seed, spawned = fill [||] 42 0 in
  let ps = ref ps and seed = ref seed and spawned = ref spawned in
  for _ = 1 to frames do
    let moved = Array.map step !ps in
    let kept = Array.of_list (List.filter alive (Array.to_list moved)) in
    let p, s, n = fill kept !seed !spawned in
    ps := p; seed := s; spawned := n
  done;
  let life = Array.fold_left (fun a p -> a + p.life) 0 !ps in
  let xs = Array.fold_left (fun a p -> a +. p.x) 0.0 !ps in
  let ys = Array.fold_left (fun a p -> a +. p.y) 0.0 !ps in
  Printf.printf "particles=%d spawned=%d life=%d x=%.6f y=%.6f\n" (Array.length !ps) !spawned
    life xs ys
