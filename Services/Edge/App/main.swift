// `edge`: the Socket.IO server clients connect to (see EdgeApp for its environment).
import Edge

await EdgeApp.run()
