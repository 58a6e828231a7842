(* game_loop: twin of game_loop.pole-ir. Arguments: ENTITIES FRAMES
   (default 100 1000).

   The state record holds an immutable array of immutable entity records:
   each frame maps it to a fresh array of moved entities (Array.map, the
   immutable counterpart of moving every entity with List.set), and every 16
   frames it is rebuilt from a list accumulated from [] with the dead
   entities replaced. *)

type entity = { id : int; x : int; y : int; vx : int; vy : int; hp : int }

type state = { frame : int; next_id : int; respawned : int; entities : entity array }

let world = 1024
let rebuild_every = 16

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

(* The entities of old from i on, consed onto acc (newest first), the dead
   ones replaced. *)
let rec rebuild old i acc next_id respawned frame =
  if i = Array.length old then
    { frame; next_id; respawned; entities = Array.of_list (List.rev acc) }
  else
    let e = old.(i) in
    if e.hp > 0 then rebuild old (i + 1) (e :: acc) next_id respawned frame
    else rebuild old (i + 1) (spawn next_id :: acc) (next_id + 1) (respawned + 1) frame

let tick { frame = f; next_id; respawned; entities } =
  let moved = Array.map step entities in
  if (f + 1) mod rebuild_every = 0 then rebuild moved 0 [] next_id respawned (f + 1)
  else { frame = f + 1; next_id; respawned; entities = moved }

let rec run st frames_left = if frames_left = 0 then st else run (tick st) (frames_left - 1)

let checksum es =
  Array.fold_left
    (fun acc e -> (acc * 31 + e.id * 7 + e.x * 3 + e.y * 5 + e.vx + e.vy + e.hp) mod 1000000007)
    0 es

let () =
  let arg i default = if Array.length Sys.argv > i then int_of_string Sys.argv.(i) else default in
  let n = arg 1 100 and frames = arg 2 1000 in
  let start = { frame = 0; next_id = n; respawned = 0; entities = Array.init n spawn } in
  let last = run start frames in
  Printf.printf "game_loop entities=%d frames=%d respawned=%d checksum=%d\n" n last.frame
    last.respawned (checksum last.entities)
