(* map_entities: twin of map_entities.pole-ir (and map_entities_hand.pole-ir):
   10^4 immutable entity records in an immutable array, mapped to a fresh
   array of moved entities every frame (Array.map, as game_loop.ml), for 10^4
   frames. *)

let entity_count = 10000
let frame_count = 10000

type entity = { id : int; x : int; y : int; vx : int; vy : int; hp : int }

let world = 1024

let lcg s = (s * 1103515245 + 12345) mod 2147483648

let spawn id =
  let s1 = lcg (id * 7919 + 17) in
  let s2 = lcg s1 in
  let s3 = lcg s2 in
  let s4 = lcg s3 in
  let s5 = lcg s4 in
  { id; x = s1 / 1024 mod world; y = s2 / 1024 mod world;
    vx = s3 / 1024 mod 33 - 16; vy = s4 / 1024 mod 33 - 16; hp = 3 + s5 / 1024 mod 8 }

let step e =
  let nx = e.x + e.vx and ny = e.y + e.vy in
  let bx = nx < 0 || nx >= world and by = ny < 0 || ny >= world in
  { e with x = (if bx then e.x else nx); y = (if by then e.y else ny);
           vx = (if bx then - e.vx else e.vx); vy = (if by then - e.vy else e.vy);
           hp = (if bx || by then e.hp - 1 else e.hp) }

let rec run es frames_left = if frames_left = 0 then es else run (Array.map step es) (frames_left - 1)

let () =
  let last = run (Array.init entity_count spawn) frame_count in
  let sum =
    Array.fold_left
      (fun acc e -> (acc * 31 + e.id * 7 + e.x * 3 + e.y * 5 + e.vx + e.vy + e.hp) mod 1000000007)
      0 last
  in
  Printf.printf "map_entities entities=%d frames=%d checksum=%d\n" (Array.length last) frame_count
    sum
